using System.Text.Json;
using OrtDiffusion.Onnx;
using OrtDiffusion.Text;
using OrtDiffusion.TinyModels.PixArt;

namespace OrtDiffusion.Tests.TinyModels.PixArt;

/// <summary>
/// The zoo's T5 <c>spiece.model</c>: read by the real SentencePiece (Debian's <c>spm_encode</c>, whose ids
/// Reference/pixart_torch_reference.py stored in Fixtures/tinymodels/pixart/spm_encode_expected.json) and by the
/// library's <see cref="T5Tokenizer"/>, which must agree with it, pad to PixArt's 120 tokens with a mask, and stay
/// inside the text encoder's embedding table.
/// </summary>
[Collection(PixArtZooCollection.Name)]
public sealed class PixArtTokenizerTests(PixArtZooFixture zoo)
{
    private static readonly Lazy<JsonElement> SpmCases = new(() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "tinymodels", "pixart", "spm_encode_expected.json"))).RootElement.GetProperty("cases"));

    private T5Tokenizer Tokenizer() => T5Tokenizer.FromFolder(zoo.Default);

    public static TheoryData<int> Cases => new() { 0, 1, 2, 3, 4 };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Library_tokenizer_segments_as_sentencepiece_does(int index)
    {
        var c = SpmCases.Value[index];
        var tokenizer = Tokenizer();
        var text = c.GetProperty("text").GetString()!;
        Assert.Equal(c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()), tokenizer.EncodeContent(text));
        Assert.Equal(c.GetProperty("pieces").EnumerateArray().Select(e => e.GetString()), tokenizer.EncodeAsPieces(text));
    }

    [Fact]
    public void Special_ids_are_t5s_pad_0_eos_1_unk_2()
    {
        var tokenizer = Tokenizer();
        Assert.Equal(0, tokenizer.PadId);
        Assert.Equal(1, tokenizer.EosId);
        Assert.Equal(2, tokenizer.UnkId);
        Assert.Equal("</s>", tokenizer.IdToPiece(1));
        Assert.False(tokenizer.ByteFallback);
        Assert.Equal(TinyUnigramVocabulary.Default.Count, tokenizer.VocabularySize);
        Assert.Equal(120, tokenizer.ModelMaxLength);
    }

    [Fact]
    public void A_prompt_encodes_to_known_ids_then_eos_then_padding_to_120_with_a_mask()
    {
        var tokenizer = Tokenizer();
        var encoded = tokenizer.Encode("an astronaut riding a horse on the moon, oil painting");
        var expected = SpmCases.Value[1].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal(120, encoded.Length);
        Assert.Equal(expected.Length + 1, encoded.TokenCount);
        Assert.Equal([.. expected, 1], encoded.Ids[..encoded.TokenCount]);
        Assert.All(encoded.Ids[encoded.TokenCount..], id => Assert.Equal(0, id));
        Assert.Equal(Enumerable.Range(0, 120).Select(i => i < encoded.TokenCount ? 1 : 0), encoded.AttentionMask);

        // Every id, sentinels included, has a row in the text encoder's embedding table.
        var rows = OnnxModel.Load(zoo.Model("text_encoder")).FindInitializer("shared.weight").Dims[0];
        Assert.True(tokenizer.VocabularySize + PixArtArchitecture.ExtraIds <= rows, $"{tokenizer.VocabularySize} pieces + {PixArtArchitecture.ExtraIds} sentinels > {rows} rows");
        Assert.All(encoded.Ids, id => Assert.InRange(id, 0, rows - 1));
    }

    [Fact]
    public void Whole_corpus_words_are_single_pieces_and_decode_back()
    {
        var tokenizer = Tokenizer();
        foreach (var prompt in new[] { "a photo of a dog", "a castle on a hill, fantasy art" })
        {
            var ids = tokenizer.EncodeContent(prompt);
            Assert.DoesNotContain(tokenizer.UnkId, ids);
            Assert.Equal(prompt, tokenizer.Decode(ids));
        }

        Assert.Equal(["▁photo"], tokenizer.EncodeAsPieces("photo"));
    }

    [Fact]
    public void Scores_are_log_probabilities_in_descending_order_after_the_specials()
    {
        var pieces = TinyUnigramVocabulary.Default.Pieces;
        Assert.All(pieces, p => Assert.True(p.Score < 0, $"{p.Piece}: {p.Score}"));
        Assert.Equal(1.0, pieces.Sum(p => Math.Exp(p.Score)), 4);
        Assert.True(pieces.Zip(pieces.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.Equal(pieces.Count, pieces.Select(p => p.Piece).Distinct(StringComparer.Ordinal).Count());
    }
}
