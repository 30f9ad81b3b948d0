using System.Text;

namespace OrtDiffusion.Text;

/// <summary>
/// Unicode canonical decomposition (NFD) without ICU: full recursive decomposition from tables
/// generated from Python's <c>unicodedata</c> (see make_decomposition_data.py), Hangul syllables
/// decomposed arithmetically, then canonical ordering of combining marks. .NET's
/// <c>string.Normalize</c> is not used because it does nothing under invariant globalization.
/// </summary>
internal static partial class CanonicalDecomposition
{
    const int HangulBase = 0xAC00, HangulCount = 11172;
    const int LeadBase = 0x1100, VowelBase = 0x1161, TrailBase = 0x11A7;
    const int VowelCount = 21, TrailCount = 28;

    /// <summary><c>unicodedata.normalize("NFD", text)</c>.</summary>
    public static string ToNfd(string text)
    {
        var cps = new List<int>(text.Length + 8);
        for (int i = 0; i < text.Length;)
        {
            Rune r = PythonText.RuneAt(text, i, out int w);
            Decompose(r.Value, cps);
            i += w;
        }
        Reorder(cps);
        var sb = new StringBuilder(cps.Count);
        foreach (int cp in cps) sb.Append(new Rune(cp).ToString());
        return sb.ToString();
    }

    /// <summary>The canonical combining class of <paramref name="codePoint"/> (0 for starters).</summary>
    public static int CombiningClass(int codePoint)
    {
        var ranges = CombiningClassRanges;
        int lo = 0, hi = ranges.Length / 3 - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (codePoint < ranges[3 * mid]) hi = mid - 1;
            else if (codePoint > ranges[3 * mid + 1]) lo = mid + 1;
            else return ranges[3 * mid + 2];
        }
        return 0;
    }

    static void Decompose(int cp, List<int> output)
    {
        int s = cp - HangulBase;
        if (s >= 0 && s < HangulCount)
        {
            output.Add(LeadBase + s / (VowelCount * TrailCount));
            output.Add(VowelBase + s % (VowelCount * TrailCount) / TrailCount);
            if (s % TrailCount != 0) output.Add(TrailBase + s % TrailCount);
            return;
        }
        int index = DecomposableCodePoints.BinarySearch(cp);
        if (index < 0) { output.Add(cp); return; }
        Decompose(DecompositionFirst[index], output);
        if (DecompositionSecond[index] != 0) Decompose(DecompositionSecond[index], output);
    }

    // Canonical ordering: within each run of non-starters, a stable sort by combining class.
    static void Reorder(List<int> cps)
    {
        for (int i = 1; i < cps.Count; i++)
        {
            int cc = CombiningClass(cps[i]);
            if (cc == 0) continue;
            int j = i;
            while (j > 0 && CombiningClass(cps[j - 1]) > cc)
            {
                (cps[j - 1], cps[j]) = (cps[j], cps[j - 1]);
                j--;
            }
        }
    }
}
