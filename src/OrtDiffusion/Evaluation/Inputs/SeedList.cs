using System.Globalization;

namespace OrtDiffusion.Evaluation;

/// <summary>Parses seed lists as the command line gives them: <c>0,1,2</c>, ranges <c>0-9</c> (inclusive), or both (<c>0-4,10,20-22</c>).</summary>
public static class SeedList
{
    /// <summary>Most seeds one list may name, so a typo like <c>0-99999999999</c> fails fast instead of planning forever.</summary>
    public const int MaxSeeds = 1_000_000;

    /// <summary>Parses <paramref name="text"/>; seeds keep their order and must not repeat.</summary>
    /// <exception cref="FormatException">An empty list or item, a part that is not a non-negative integer, a range that runs backwards, a repeated seed, or too many seeds.</exception>
    public static IReadOnlyList<ulong> Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new FormatException("Give seeds as a list like 0,1,2 or a range like 0-9.");
        }

        var seeds = new List<ulong>();
        var seen = new HashSet<ulong>();
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            if (part.Length == 0)
            {
                throw new FormatException($"Seeds '{text}': an empty item (two commas in a row, or a trailing comma).");
            }

            var dash = part.IndexOf('-', 1);
            ulong first, last;
            if (dash > 0)
            {
                first = Number(part[..dash], part, text);
                last = Number(part[(dash + 1)..], part, text);
                if (last < first)
                {
                    throw new FormatException($"Seeds '{text}': the range '{part}' runs backwards; write it as {last}-{first}.");
                }
            }
            else
            {
                first = last = Number(part, part, text);
            }

            if (last - first >= MaxSeeds || seeds.Count + (int)(last - first) >= MaxSeeds)
            {
                throw new FormatException($"Seeds '{text}': more than {MaxSeeds} seeds.");
            }

            for (var s = first; ; s++)
            {
                if (!seen.Add(s))
                {
                    throw new FormatException($"Seeds '{text}': seed {s} is given twice.");
                }

                seeds.Add(s);
                if (s == last)
                {
                    break;
                }
            }
        }

        return seeds;
    }

    /// <summary>The canonical text of a list: runs of consecutive seeds as ranges (<c>0-3,7</c>).</summary>
    public static string Format(IReadOnlyList<ulong> seeds)
    {
        ArgumentNullException.ThrowIfNull(seeds);
        var parts = new List<string>();
        for (var i = 0; i < seeds.Count;)
        {
            var j = i;
            while (j + 1 < seeds.Count && seeds[j + 1] == seeds[j] + 1)
            {
                j++;
            }

            parts.Add(j > i ? $"{seeds[i]}-{seeds[j]}" : seeds[i].ToString(CultureInfo.InvariantCulture));
            i = j + 1;
        }

        return string.Join(",", parts);
    }

    private static ulong Number(string s, string part, string text)
    {
        s = s.Trim();
        if (s.StartsWith('-'))
        {
            throw new FormatException($"Seeds '{text}': '{part}' is negative; seeds are integers ≥ 0.");
        }

        return ulong.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"Seeds '{text}': '{s}' in '{part}' is not a non-negative integer.");
    }
}
