using System.Buffers;
using System.Globalization;
using System.Text;

namespace OrtDiffusion.Text;

/// <summary>
/// The few Python <c>str</c> behaviours the reference tokenizers rely on, written out so the
/// results do not depend on the host's culture or ICU: <c>str.lower()</c>, <c>str.isspace()</c>
/// and the <c>regex</c> module's <c>\s</c>.
/// </summary>
internal static class PythonText
{
    const int CapitalSigma = 0x03A3;

    /// <summary>
    /// Python's <c>str.lower()</c>: the simple lower-case mapping for every code point, except the
    /// two places where Python uses the full mapping: U+0130 (İ) becomes "i̇" (two code points),
    /// and capital sigma becomes final sigma (ς) at the end of a word.
    /// </summary>
    public static string ToLower(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length;)
        {
            Rune r = RuneAt(text, i, out int width);
            if (r.Value == 0x0130) sb.Append("i\u0307");
            else if (r.Value == CapitalSigma) sb.Append(IsFinalSigma(text, i, width) ? 'ς' : 'σ');
            else sb.Append(Rune.ToLowerInvariant(r).ToString());
            i += width;
        }
        return sb.ToString();
    }

    /// <summary>Python's <c>str.isspace()</c>: Unicode White_Space plus the four separators U+001C..U+001F.</summary>
    public static bool IsPythonSpace(Rune r) => Rune.IsWhiteSpace(r) || (r.Value >= 0x1C && r.Value <= 0x1F);

    /// <summary>The <c>regex</c> module's <c>\s</c> on str patterns: the Unicode White_Space property.</summary>
    public static bool IsRegexSpace(Rune r) => Rune.IsWhiteSpace(r);

    /// <summary>Python's <c>str.strip()</c> with no arguments.</summary>
    public static string Strip(string text)
    {
        int start = 0, end = text.Length;
        while (start < end && IsPythonSpace(RuneAt(text, start, out int w))) start += w;
        while (end > start && IsPythonSpace(RuneBefore(text, end, out int w))) end -= w;
        return text[start..end];
    }

    /// <summary>Python's <c>str.split()</c> with no arguments: runs of whitespace separate, empty pieces dropped.</summary>
    public static List<string> SplitOnWhitespace(string text)
    {
        var parts = new List<string>();
        int start = -1;
        for (int i = 0; i < text.Length;)
        {
            bool space = IsPythonSpace(RuneAt(text, i, out int w));
            if (space && start >= 0) { parts.Add(text[start..i]); start = -1; }
            else if (!space && start < 0) start = i;
            i += w;
        }
        if (start >= 0) parts.Add(text[start..]);
        return parts;
    }

    /// <summary>The rune at <paramref name="index"/>; a lone surrogate reads as U+FFFD.</summary>
    public static Rune RuneAt(string text, int index, out int width)
    {
        if (Rune.DecodeFromUtf16(text.AsSpan(index), out Rune r, out width) != OperationStatus.Done)
            r = Rune.ReplacementChar;
        return r;
    }

    static Rune RuneBefore(string text, int end, out int width)
    {
        if (Rune.DecodeLastFromUtf16(text.AsSpan(0, end), out Rune r, out width) != OperationStatus.Done)
            r = Rune.ReplacementChar;
        return r;
    }

    // CPython's rule: a cased letter, then case-ignorables, then Σ, and no case-ignorables-then-cased after it.
    static bool IsFinalSigma(string text, int index, int width)
    {
        int j = index;
        Rune before = default;
        bool found = false;
        while (j > 0)
        {
            before = RuneBefore(text, j, out int w);
            j -= w;
            if (!IsCaseIgnorable(before)) { found = true; break; }
        }
        if (!found || !IsCased(before)) return false;

        for (int k = index + width; k < text.Length;)
        {
            Rune after = RuneAt(text, k, out int w);
            if (!IsCaseIgnorable(after)) return !IsCased(after);
            k += w;
        }
        return true;
    }

    // Approximates Unicode's derived Cased property: letters that have case.
    static bool IsCased(Rune r)
    {
        var cat = Rune.GetUnicodeCategory(r);
        return cat is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            || Rune.ToLowerInvariant(r) != r || Rune.ToUpperInvariant(r) != r;
    }

    // Unicode's Case_Ignorable: Mn, Me, Cf, Lm, Sk, and Word_Break MidLetter / MidNumLet / Single_Quote.
    static bool IsCaseIgnorable(Rune r)
    {
        var cat = Rune.GetUnicodeCategory(r);
        if (cat is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol)
            return true;
        return r.Value is 0x27 or 0x2E or 0x3A or 0xB7 or 0x387 or 0x55F or 0x5F4 or 0x2018 or 0x2019
            or 0x2024 or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
    }
}
