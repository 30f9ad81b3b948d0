using System.Text.Json;
using Google.Protobuf;
using OrtDiffusion.Text;

namespace OrtDiffusion.Tests.Text;

/// <summary>
/// T5Tokenizer against Debian's sentencepiece 0.1.97 tools: make_t5_fixtures.sh trains three small
/// Unigram models on a committed corpus (T5's id layout; with byte fallback; identity normalization
/// with a user-defined symbol) and records <c>spm_encode</c>'s ids and pieces in t5_expected.json.
/// </summary>
public sealed class T5TokenizerTests
{
    static readonly JsonElement Expected = TextFixtures.Json("t5_expected.json").GetProperty("models");
    static readonly Dictionary<string, T5Tokenizer> Models = new[] { "t5_unigram", "t5_unigram_bytes", "t5_unigram_plain" }
        .ToDictionary(m => m, m => T5Tokenizer.FromFile(TextFixtures.PathOf(m + ".model")));

    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var model in Expected.EnumerateObject())
            for (int i = 0; i < model.Value.GetArrayLength(); i++) data.Add(model.Name, i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_MatchesSpmEncode(string model, int index)
    {
        var c = Expected.GetProperty(model)[index];
        string text = c.GetProperty("text").GetString()!;
        var tok = Models[model];
        Assert.Equal(TextFixtures.Strings(c.GetProperty("pieces")), tok.EncodeAsPieces(text));
        Assert.Equal(TextFixtures.Ints(c.GetProperty("ids")), tok.EncodeContent(text));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decode_MatchesSpmDecode(string model, int index)
    {
        var c = Expected.GetProperty(model)[index];
        Assert.Equal(c.GetProperty("decoded").GetString(), Models[model].Decode(TextFixtures.Ints(c.GetProperty("ids"))));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void PaddedEncoding_IsSpmIdsThenEosThenPad(string model, int index)
    {
        var c = Expected.GetProperty(model)[index];
        int[] ids = TextFixtures.Ints(c.GetProperty("ids"));
        var t = Models[model].Encode(c.GetProperty("text").GetString()!);
        Assert.Equal(120, t.Length);
        Assert.Equal(ids.Length + 1, t.TokenCount);
        Assert.Equal(ids.Append(1).Concat(Enumerable.Repeat(0, 119 - ids.Length)), t.Ids);
        Assert.Equal(Enumerable.Repeat(1, ids.Length + 1).Concat(Enumerable.Repeat(0, 119 - ids.Length)), t.AttentionMask);
        Assert.False(t.Truncated);
    }

    [Fact]
    public void SpecialIds_FollowT5Layout()
    {
        var tok = Models["t5_unigram"];
        Assert.Equal(0, tok.PadId);
        Assert.Equal(1, tok.EosId);
        Assert.Equal(2, tok.UnkId);
        Assert.Equal(400, tok.VocabularySize);
        Assert.Equal("</s>", tok.IdToPiece(1));
        Assert.Equal(3, tok.PieceToId("▁"));
        Assert.Equal(2, tok.PieceToId("not-a-piece"));
        Assert.False(tok.ByteFallback);
        Assert.True(Models["t5_unigram_bytes"].ByteFallback);
        Assert.Equal(T5Tokenizer.PixArtMaxLength, tok.ModelMaxLength);
    }

    [Fact]
    public void LongPrompt_IsTruncatedKeepingEos()
    {
        var tok = Models["t5_unigram"];
        string text = string.Join(" ", Enumerable.Repeat("the old lighthouse", 60));
        var count = tok.CountTokens(text);
        Assert.True(count.WouldBeTruncated);
        // spm_encode splits "the old lighthouse" into ▁the ▁ old ▁light hou se (t5_expected.json, case 2).
        Assert.Equal(60 * 6 + 1, count.TokenCount);
        var t = tok.Encode(text);
        Assert.Equal(120, t.Length);
        Assert.Equal(120, t.TokenCount);
        Assert.True(t.Truncated);
        Assert.Equal(1, t.Ids[^1]);
        Assert.Equal(tok.EncodeContent(text).Take(119), t.Ids[..119]);
        Assert.All(t.AttentionMask, m => Assert.Equal(1, m));

        var unpadded = tok.Encode("a photo of a cat", padToMaxLength: false);
        Assert.Equal([7, 187, 3, 11, 7, 16, 29, 1], unpadded.Ids); // spm_encode ids (t5_expected.json case 0) + </s>
    }

    [Fact]
    public void Decode_InvertsEncodingOfNormalizedText()
    {
        var tok = Models["t5_unigram"];
        Assert.Equal("a photo of a cat", tok.Decode(tok.Encode("a photo of a cat").Ids));
        Assert.Equal("a photo of a cat</s><pad>", tok.Decode(tok.Encode("a photo of a cat", maxLength: 10).Ids.AsSpan(0, 10), skipSpecialTokens: false)[..25]);
        // nmt_nfkc folds full-width letters; unknown characters come back as sentencepiece's " ⁇ ".
        // spm_decode prints "text  ⁇ " for these ids (▁text, ▁, <unk>).
        Assert.Equal("text  ⁇ ", tok.Decode(tok.EncodeContent("ｔｅｘｔ €")));
        // With byte fallback every character survives the round trip.
        var bytes = Models["t5_unigram_bytes"];
        Assert.Equal("Unseen: € 漢字 ✨ 🐱 Ωμέγα ß", bytes.Decode(bytes.EncodeContent("  Unseen:  € 漢字 ✨ 🐱 Ωμέγα ß ")));
    }

    [Fact]
    public void ConcurrentEncoding_IsDeterministic()
    {
        var tok = Models["t5_unigram_bytes"];
        var prompts = Enumerable.Range(0, 300).Select(i => $"prompt {i}: a cat № {i % 13} in ｆｕｌｌ ✨").ToArray();
        var parallel = new int[prompts.Length][];
        Parallel.For(0, prompts.Length, i => parallel[i] = tok.Encode(prompts[i]).Ids);
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(tok.Encode(prompts[i]).Ids, parallel[i]);
    }

    [Fact]
    public void FromFolder_FindsSpieceModelUnderTokenizer()
    {
        string model = TextFixtures.TempFolder();
        try
        {
            Directory.CreateDirectory(Path.Combine(model, "tokenizer"));
            File.Copy(TextFixtures.PathOf("t5_unigram.model"), Path.Combine(model, "tokenizer", "spiece.model"));
            var tok = T5Tokenizer.FromFolder(model, modelMaxLength: 16);
            Assert.Equal(16, tok.Encode("a cat").Length);
            Directory.CreateDirectory(Path.Combine(model, "empty"));
            var missing = Assert.Throws<FileNotFoundException>(() => T5Tokenizer.FromFolder(Path.Combine(model, "empty")));
            Assert.Contains(Path.Combine(model, "empty", "spiece.model"), missing.Message);
            Assert.Throws<DirectoryNotFoundException>(() => T5Tokenizer.FromFolder(Path.Combine(model, "nowhere")));
        }
        finally { Directory.Delete(model, true); }
    }

    [Fact]
    public void BadModels_GiveErrorsNamingTheFile()
    {
        string dir = TextFixtures.TempFolder();
        try
        {
            string path = Path.Combine(dir, "spiece.model");
            Assert.Contains(path, Assert.Throws<FileNotFoundException>(() => T5Tokenizer.FromFile(path)).Message);

            File.WriteAllBytes(path, [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
            Assert.Contains(path, Assert.Throws<InvalidDataException>(() => T5Tokenizer.FromFile(path)).Message);

            File.WriteAllText(path, "");
            Assert.Contains("no pieces", Assert.Throws<InvalidDataException>(() => T5Tokenizer.FromFile(path)).Message);

            var good = new[] { ("<pad>", 0f, 3), ("</s>", 0f, 3), ("<unk>", 0f, 2), ("▁a", -1f, 1) };
            File.WriteAllBytes(path, ModelProto(good, modelType: 2));
            Assert.Contains("Unigram", Assert.Throws<NotSupportedException>(() => T5Tokenizer.FromFile(path)).Message);

            File.WriteAllBytes(path, ModelProto(good.Where(p => p.Item1 != "</s>").ToArray()));
            var noEos = Assert.Throws<InvalidDataException>(() => T5Tokenizer.FromFile(path));
            Assert.Contains("</s>", noEos.Message);
            Assert.Contains(path, noEos.Message);

            File.WriteAllBytes(path, ModelProto(good.Where(p => p.Item1 != "<unk>").ToArray()));
            Assert.Contains("unknown", Assert.Throws<InvalidDataException>(() => T5Tokenizer.FromFile(path)).Message);

            File.WriteAllBytes(path, ModelProto([.. good, ("<0x41>", 0f, 6)], byteFallback: true));
            Assert.Contains("<0x00>", Assert.Throws<InvalidDataException>(() => T5Tokenizer.FromFile(path)).Message);

            File.WriteAllBytes(path, ModelProto([.. good, ("▁a", -2f, 1)]));
            Assert.Contains("twice", Assert.Throws<InvalidDataException>(() => T5Tokenizer.FromFile(path)).Message);

            Assert.Throws<ArgumentNullException>(() => Models["t5_unigram"].Encode(null!));
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void HandWrittenModel_ViterbiPrefersHigherTotalScore_AndPenalisesUnknowns()
    {
        // Scores chosen by hand: "▁ab" (-5) loses to "▁a" + "b" (-1 + -1 = -2); "c" is unknown and costs
        // min score (-5) - 10 = -15 (sentencepiece's kUnkPenalty), so "▁abc" → ▁a b <unk>.
        string dir = TextFixtures.TempFolder();
        try
        {
            string path = Path.Combine(dir, "spiece.model");
            File.WriteAllBytes(path, ModelProto([("<pad>", 0f, 3), ("</s>", 0f, 3), ("<unk>", 0f, 2),
                ("▁a", -1f, 1), ("b", -1f, 1), ("▁ab", -5f, 1), ("▁", -3f, 1), ("a", -4f, 1)]));
            var tok = T5Tokenizer.FromFile(path);
            Assert.Equal(["▁a", "b", "c"], tok.EncodeAsPieces("abc"));
            Assert.Equal([3, 4, 2], tok.EncodeContent("abc"));
            Assert.Equal([3, 4, 2], tok.EncodeContent("abcc")); // a run of unknowns is one <unk>
            Assert.Equal([3, 3], tok.EncodeContent("  a   a ")); // spaces collapse, then ▁ escaping
            // No precompiled map means no character normalization: full-width ａ stays unknown.
            Assert.Equal([6, 2], tok.EncodeContent("ａ"));
        }
        finally { Directory.Delete(dir, true); }
    }

    // A minimal ModelProto: pieces (field 1: piece=1, score=2, type=3), trainer_spec (field 2: model_type=3,
    // byte_fallback=35); the normalizer spec is left out, so its defaults apply and there is no charsmap.
    static byte[] ModelProto((string Piece, float Score, int Type)[] pieces, int modelType = 1, bool byteFallback = false)
    {
        using var ms = new MemoryStream();
        var output = new CodedOutputStream(ms);
        foreach (var (piece, score, type) in pieces)
        {
            using var pm = new MemoryStream();
            var po = new CodedOutputStream(pm);
            po.WriteTag(1, WireFormat.WireType.LengthDelimited); po.WriteString(piece);
            po.WriteTag(2, WireFormat.WireType.Fixed32); po.WriteFloat(score);
            po.WriteTag(3, WireFormat.WireType.Varint); po.WriteEnum(type);
            po.Flush();
            output.WriteTag(1, WireFormat.WireType.LengthDelimited); output.WriteBytes(ByteString.CopyFrom(pm.ToArray()));
        }
        using var tm = new MemoryStream();
        var to = new CodedOutputStream(tm);
        to.WriteTag(3, WireFormat.WireType.Varint); to.WriteEnum(modelType);
        if (byteFallback) { to.WriteTag(35, WireFormat.WireType.Varint); to.WriteBool(true); }
        to.Flush();
        output.WriteTag(2, WireFormat.WireType.LengthDelimited); output.WriteBytes(ByteString.CopyFrom(tm.ToArray()));
        output.Flush();
        return ms.ToArray();
    }
}
