using System.Text;
using System.Text.RegularExpressions;

namespace OrtDiffusion.TinyModels.Tokenizer;

/// <summary>
/// Learns byte-level BPE merges the way CLIP's vocabulary was made: words are split as CLIP's tokenizer splits
/// them, spelled in the byte alphabet with <c>&lt;/w&gt;</c> on the last symbol, and the most frequent adjacent
/// pair (ties: the ordinally smallest left symbol, then right) is merged until every word is one symbol or the
/// merge budget is spent. Deterministic: the same corpus gives the same merges.
/// </summary>
internal static partial class BpeTrainer
{
    public const string EndOfWord = "</w>";

    /// <summary>Learns at most <paramref name="maxMerges"/> merges from <paramref name="lines"/> of text.</summary>
    public static IReadOnlyList<(string Left, string Right)> Learn(IEnumerable<string> lines, int maxMerges)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            foreach (var word in PreTokenize(line))
            {
                counts[word] = counts.GetValueOrDefault(word) + 1;
            }
        }

        // Each distinct word as a mutable list of symbols, with its frequency.
        var words = counts.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (Symbols: Spell(p.Key), Count: p.Value)).ToList();
        var merges = new List<(string, string)>();
        while (merges.Count < maxMerges)
        {
            var best = MostFrequentPair(words);
            if (best is not (string left, string right))
            {
                break;
            }

            merges.Add((left, right));
            foreach (var (symbols, _) in words)
            {
                Merge(symbols, left, right);
            }
        }

        return merges;
    }

    /// <summary>CLIP's pre-tokenisation: lower case, whitespace collapsed, then its word pattern.</summary>
    public static IEnumerable<string> PreTokenize(string text)
    {
        var cleaned = Whitespace().Replace(text, " ").Trim().ToLowerInvariant();
        foreach (Match match in WordPattern().Matches(cleaned))
        {
            yield return match.Value;
        }
    }

    /// <summary>A word's UTF-8 bytes in the byte alphabet, the last symbol marked with <c>&lt;/w&gt;</c>.</summary>
    public static List<string> Spell(string word)
    {
        var symbols = Encoding.UTF8.GetBytes(word).Select(b => ByteAlphabet.SymbolOfByte[b]).ToList();
        symbols[^1] += EndOfWord;
        return symbols;
    }

    private static (string, string)? MostFrequentPair(List<(List<string> Symbols, int Count)> words)
    {
        var pairs = new Dictionary<(string, string), int>();
        foreach (var (symbols, count) in words)
        {
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                var pair = (symbols[i], symbols[i + 1]);
                pairs[pair] = pairs.GetValueOrDefault(pair) + count;
            }
        }

        (string, string)? best = null;
        var bestCount = 0;
        foreach (var (pair, count) in pairs)
        {
            if (count > bestCount || (count == bestCount && best is { } b && ComparePairs(pair, b) < 0))
            {
                best = pair;
                bestCount = count;
            }
        }

        return best;
    }

    private static int ComparePairs((string Left, string Right) a, (string Left, string Right) b)
    {
        var left = string.CompareOrdinal(a.Left, b.Left);
        return left != 0 ? left : string.CompareOrdinal(a.Right, b.Right);
    }

    private static void Merge(List<string> symbols, string left, string right)
    {
        for (var i = 0; i + 1 < symbols.Count; i++)
        {
            if (symbols[i] == left && symbols[i + 1] == right)
            {
                symbols[i] = left + right;
                symbols.RemoveAt(i + 1);
            }
        }
    }

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();

    // CLIP's pattern; the special tokens never occur in the corpus but stay for fidelity.
    [GeneratedRegex(@"<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+", RegexOptions.IgnoreCase)]
    private static partial Regex WordPattern();
}
