using System.Collections.Concurrent;
using System.Text;

namespace OrtDiffusion.Text;

/// <summary>
/// Byte-pair encoding of one pre-token by merge rank, as OpenAI's <c>SimpleTokenizer.bpe</c>:
/// start from single characters with <c>&lt;/w&gt;</c> glued to the last, repeatedly merge every
/// occurrence of the lowest-ranked adjacent pair, stop when no pair has a rank.
/// Results are cached; the cache is thread-safe and bounded.
/// </summary>
internal sealed class BytePairMerger
{
    const string EndOfWord = "</w>";
    const int MaxCacheEntries = 100_000;

    readonly Dictionary<(string, string), int> _ranks;
    readonly ConcurrentDictionary<string, string[]> _cache = new(StringComparer.Ordinal);

    public BytePairMerger(Dictionary<(string, string), int> ranks) => _ranks = ranks;

    /// <summary>Number of merge rules.</summary>
    public int MergeCount => _ranks.Count;

    /// <summary>The BPE symbols of <paramref name="token"/> (a pre-token already in the byte alphabet).</summary>
    public string[] Encode(string token)
    {
        if (_cache.TryGetValue(token, out var cached)) return cached;
        var result = Merge(token);
        if (_cache.Count < MaxCacheEntries) _cache.TryAdd(token, result);
        return result;
    }

    string[] Merge(string token)
    {
        if (token.Length == 0) return [];
        var word = new List<string>(token.Length);
        for (int i = 0; i < token.Length - 1; i++) word.Add(token[i].ToString());
        word.Add(token[^1] + EndOfWord);

        var next = new List<string>(word.Count);
        while (word.Count > 1)
        {
            // The adjacent pair with the lowest merge rank.
            int bestRank = int.MaxValue;
            (string, string) best = default;
            for (int i = 0; i < word.Count - 1; i++)
            {
                if (_ranks.TryGetValue((word[i], word[i + 1]), out int rank) && rank < bestRank)
                {
                    bestRank = rank;
                    best = (word[i], word[i + 1]);
                }
            }
            if (bestRank == int.MaxValue) break;

            // Merge every occurrence, left to right.
            next.Clear();
            for (int i = 0; i < word.Count;)
            {
                if (i < word.Count - 1 && word[i] == best.Item1 && word[i + 1] == best.Item2)
                {
                    next.Add(best.Item1 + best.Item2);
                    i += 2;
                }
                else next.Add(word[i++]);
            }
            (word, next) = (next, word);
        }
        return word.ToArray();
    }

    /// <summary>
    /// Reads a <c>merges.txt</c>: a <c>#version</c> line, then one merge per line, two symbols
    /// separated by a space, in rank order.
    /// </summary>
    public static BytePairMerger Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CLIP tokenizer merges file not found: {path}", path);
        var ranks = new Dictionary<(string, string), int>();
        using var reader = new StreamReader(path, Encoding.UTF8);
        string? header = reader.ReadLine();
        if (header is null || !header.StartsWith("#version", StringComparison.Ordinal))
            throw new InvalidDataException(
                $"{path}: line 1 must be the '#version: …' header of a BPE merges file, found '{Shorten(header)}'.");

        int lineNumber = 1, rank = 0;
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            lineNumber++;
            line = line.TrimEnd('\r');
            if (line.Length == 0) continue;
            string[] parts = line.Split(' ');
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw new InvalidDataException($"{path}: line {lineNumber} is not a merge of two symbols separated by one space: '{Shorten(line)}'.");
            ranks[(parts[0], parts[1])] = rank++; // a repeated pair keeps its last rank, as Python's dict(zip(...)) does
        }
        if (ranks.Count == 0) throw new InvalidDataException($"{path}: no merges after the '#version' line.");
        return new BytePairMerger(ranks);
    }

    static string Shorten(string? s) => s is null ? "<end of file>" : s.Length <= 60 ? s : s[..60] + "…";
}
