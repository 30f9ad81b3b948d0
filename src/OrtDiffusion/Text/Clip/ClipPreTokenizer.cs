using System.Globalization;
using System.Text;

namespace OrtDiffusion.Text;

/// <summary>
/// CLIP's text cleaning and pre-tokenization, as OpenAI's <c>simple_tokenizer.py</c> does it
/// (minus ftfy and HTML unescaping): collapse whitespace, strip, lower-case, then split with
/// <c>&lt;|startoftext|&gt;|&lt;|endoftext|&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c>
/// (case-insensitive). The pattern is matched by hand, code point by code point, so letters and
/// digits outside the BMP are classified as Python's <c>regex</c> module does (.NET's Regex sees
/// them as two surrogates).
/// </summary>
internal static class ClipPreTokenizer
{
    internal const string StartOfText = "<|startoftext|>";
    internal const string EndOfText = "<|endoftext|>";
    static readonly string[] Contractions = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"];

    /// <summary><c>whitespace_clean(basic_clean(text)).lower()</c> without ftfy and html.unescape.</summary>
    public static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        bool inSpace = false;
        for (int i = 0; i < text.Length;)
        {
            Rune r = PythonText.RuneAt(text, i, out int w);
            if (PythonText.IsRegexSpace(r))
            {
                if (!inSpace) sb.Append(' ');
                inSpace = true;
            }
            else
            {
                sb.Append(text, i, w);
                inSpace = false;
            }
            i += w;
        }
        return PythonText.ToLower(PythonText.Strip(sb.ToString()));
    }

    /// <summary>The pattern's matches in order (<c>re.findall</c>); whitespace between them is dropped.</summary>
    public static List<string> Split(string cleaned)
    {
        var pieces = new List<string>();
        int i = 0;
        while (i < cleaned.Length)
        {
            int length = MatchAt(cleaned, i);
            if (length == 0) { PythonText.RuneAt(cleaned, i, out int w); i += w; continue; }
            pieces.Add(cleaned.Substring(i, length));
            i += length;
        }
        return pieces;
    }

    // Length of the first alternative that matches at `start` (0 when none does: whitespace).
    static int MatchAt(string s, int start)
    {
        if (string.CompareOrdinal(s, start, StartOfText, 0, StartOfText.Length) == 0) return StartOfText.Length;
        if (string.CompareOrdinal(s, start, EndOfText, 0, EndOfText.Length) == 0) return EndOfText.Length;
        if (s[start] == '\'')
            foreach (var c in Contractions)
                if (MatchesIgnoringCase(s, start, c)) return c.Length;

        Rune first = PythonText.RuneAt(s, start, out int width);
        var kind = Classify(first);
        if (kind == CharClass.Space) return 0;
        if (kind == CharClass.Number) return width;

        int end = start + width;
        while (end < s.Length)
        {
            Rune r = PythonText.RuneAt(s, end, out int w);
            if (Classify(r) != kind) break;
            end += w;
        }
        return end - start;
    }

    // The text is already lower-cased, so IGNORECASE only adds letters whose case folding is
    // s, t, r, e, v, m, l or d without being lower-case ASCII: long s (ſ) is the one such letter.
    static bool MatchesIgnoringCase(string s, int start, string contraction)
    {
        if (start + contraction.Length > s.Length) return false;
        for (int k = 1; k < contraction.Length; k++)
        {
            char c = s[start + k];
            if (c != contraction[k] && !(c == 'ſ' && contraction[k] == 's')) return false;
        }
        return true;
    }

    enum CharClass { Space, Letter, Number, Other }

    static CharClass Classify(Rune r)
    {
        if (PythonText.IsRegexSpace(r)) return CharClass.Space;
        switch (Rune.GetUnicodeCategory(r))
        {
            case UnicodeCategory.UppercaseLetter:
            case UnicodeCategory.LowercaseLetter:
            case UnicodeCategory.TitlecaseLetter:
            case UnicodeCategory.ModifierLetter:
            case UnicodeCategory.OtherLetter:
                return CharClass.Letter;
            case UnicodeCategory.DecimalDigitNumber:
            case UnicodeCategory.LetterNumber:
            case UnicodeCategory.OtherNumber:
                return CharClass.Number;
            default:
                return CharClass.Other;
        }
    }
}
