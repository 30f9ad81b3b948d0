using OrtDiffusion.TinyModels.Tokenizer;

namespace OrtDiffusion.TinyModels.PixArt;

/// <summary>
/// The zoo's T5-style SentencePiece Unigram vocabulary, derived from the same prompt corpus as the tiny CLIP BPE.
/// Laid out as T5's <c>spiece.model</c>: <c>&lt;pad&gt;</c> = 0, <c>&lt;/s&gt;</c> = 1, <c>&lt;unk&gt;</c> = 2 (no BOS),
/// then the normal pieces by descending score.
/// </summary>
/// <remarks>
/// Pieces are what SentencePiece's pre-tokenisation lets a Unigram model learn — each corpus word's leading run of
/// letters and digits with the ▁ word-start mark (<c>▁photo</c>), later runs without it, single characters, and ▁
/// alone — plus every printable ASCII character once more (add-one smoothing, so any ASCII prompt encodes without
/// <c>&lt;unk&gt;</c>). A piece's score is the log of its relative frequency among all counted pieces: a unigram
/// language model fitted by counting rather than by EM, which keeps it exact, tiny and reproducible without
/// SentencePiece's trainer. Whole words score far above their spelling, so Viterbi segmentation picks them.
/// </remarks>
internal sealed class TinyUnigramVocabulary
{
    public const string Pad = "<pad>";
    public const string Eos = "</s>";
    public const string Unk = "<unk>";
    public const char WordStart = '\u2581';

    private static readonly Lazy<TinyUnigramVocabulary> Shared = new(() => new TinyUnigramVocabulary(TinyClipVocabulary.CorpusLines()));

    private TinyUnigramVocabulary(IReadOnlyList<string> lines)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        void Count(string piece) => counts[piece] = counts.GetValueOrDefault(piece) + 1;

        foreach (var line in lines)
        {
            foreach (var word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                Count(WordStart.ToString());
                var first = true;
                foreach (var run in Runs(word))
                {
                    Count(first && char.IsLetterOrDigit(run[0]) ? WordStart + run : run);
                    first = false;
                }

                foreach (var c in word)
                {
                    Count(c.ToString());
                }
            }
        }

        for (var c = '!'; c <= '~'; c++)
        {
            Count(c.ToString());
        }

        double total = counts.Values.Sum();
        Pieces = counts
            .Select(p => (Piece: p.Key, Score: (float)Math.Log(p.Value / total)))
            .OrderByDescending(p => p.Score)
            .ThenBy(p => p.Piece, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>The vocabulary of the built-in prompt corpus (computed once per process).</summary>
    public static TinyUnigramVocabulary Default => Shared.Value;

    /// <summary>The special pieces in id order: pad 0, EOS 1, unknown 2.</summary>
    public static IReadOnlyList<string> Specials { get; } = [Pad, Eos, Unk];

    /// <summary>The normal pieces in id order (ids start after <see cref="Specials"/>) with their log-probability scores.</summary>
    public IReadOnlyList<(string Piece, float Score)> Pieces { get; }

    /// <summary>Number of pieces in <c>spiece.model</c>, specials included.</summary>
    public int Count => Specials.Count + Pieces.Count;

    /// <summary>Maximal runs of letters and digits, with every other character a run of its own.</summary>
    private static IEnumerable<string> Runs(string word)
    {
        var start = 0;
        while (start < word.Length)
        {
            var end = start + 1;
            if (char.IsLetterOrDigit(word[start]))
            {
                while (end < word.Length && char.IsLetterOrDigit(word[end]))
                {
                    end++;
                }
            }

            yield return word[start..end];
            start = end;
        }
    }
}
