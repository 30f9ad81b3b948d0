using FsCheck;
using FsCheck.Fluent;
using OrtDiffusion.Text;

namespace OrtDiffusion.Tests.Text;

/// <summary>Round-trip and shape properties of the three tokenizers on random text (FsCheck).</summary>
public sealed class TokenizerPropertyTests
{
    // Letters, digits, punctuation, spaces and a few multi-byte characters, all unchanged by NFKC.
    static readonly char[] Alphabet = "abcxyzABCXYZ0189 .,!?'-/()é漢ßü  ".ToCharArray();

    static Arbitrary<string> Texts(params string[] extra) =>
        Arb.From(Gen.Elements(Alphabet.Select(c => c.ToString()).Concat(extra).ToArray()).ListOf().Select(parts => string.Concat(parts)));

    static string WithoutSpaces(string s) => string.Concat(s.Where(c => !char.IsWhiteSpace(c)));

    [Fact]
    public void Clip_DecodeOfEncode_GivesTheLowerCasedTextBackUpToSpaces()
    {
        var tok = ClipTokenizer.FromFolder(RealVocabularies.ClipTokenizerFolder());
        // Byte-level BPE loses nothing but whitespace and case.
        Check.QuickThrowOnFailure(Prop.ForAll(Texts("🐱", "\t"), text =>
            WithoutSpaces(tok.Decode(tok.EncodeContent(text))) == WithoutSpaces(text.ToLowerInvariant())));
    }

    [Fact]
    public void T5WithByteFallback_DecodeOfEncode_GivesTheTextWithCollapsedSpaces()
    {
        var tok = T5Tokenizer.FromFile(TextFixtures.PathOf("t5_unigram_bytes.model"));
        Check.QuickThrowOnFailure(Prop.ForAll(Texts("🐱"), text =>
            tok.Decode(tok.EncodeContent(text)) == string.Join(' ', text.Split(' ', StringSplitOptions.RemoveEmptyEntries))));
    }

    [Fact]
    public void AllTokenizers_PaddedEncodingsHaveTheContractShape()
    {
        var tokenizers = new ITextTokenizer[]
        {
            ClipTokenizer.FromFolder(RealVocabularies.ClipTokenizerFolder()),
            T5Tokenizer.FromFile(TextFixtures.PathOf("t5_unigram.model")),
            BertWordPieceTokenizer.FromFolder(RealVocabularies.BertUncasedFolder()),
        };
        Check.QuickThrowOnFailure(Prop.ForAll(Arb.From(ArbMap.Default.GeneratorFor<string>().Where(s => s is not null)), text =>
        {
            foreach (var tok in tokenizers)
            {
                var t = tok.Encode(text);
                var count = tok.CountTokens(text);
                bool ok = t.Length == tok.ModelMaxLength
                    && t.AttentionMask.Length == t.Length
                    && t.AttentionMask.Take(t.TokenCount).All(m => m == 1)
                    && t.AttentionMask.Skip(t.TokenCount).All(m => m == 0)
                    && t.Ids.Skip(t.TokenCount).All(id => id == tok.PadId)
                    && t.TokenCount == Math.Min(count.TokenCount, tok.ModelMaxLength)
                    && t.Truncated == count.WouldBeTruncated;
                if (!ok) return false;
            }
            return true;
        }));
    }
}
