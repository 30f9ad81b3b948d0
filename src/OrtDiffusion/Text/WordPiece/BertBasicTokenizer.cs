using System.Globalization;
using System.Text;

namespace OrtDiffusion.Text;

/// <summary>
/// BERT's <c>BasicTokenizer</c>: drop NUL, U+FFFD and control characters, turn whitespace into spaces,
/// put spaces around CJK ideographs, split on whitespace, lower-case and strip accents (NFD, then drop
/// non-spacing marks) when lower-casing, and split off every punctuation character.
/// </summary>
internal static class BertBasicTokenizer
{
    /// <summary>The basic tokens of <paramref name="text"/>.</summary>
    public static List<string> Tokenize(string text, bool lowerCase, bool stripAccents)
    {
        string cleaned = SpaceOutChineseCharacters(Clean(text));
        var tokens = new List<string>();
        foreach (string word in PythonText.SplitOnWhitespace(cleaned))
        {
            string token = word;
            if (lowerCase) token = PythonText.ToLower(token);
            if (stripAccents) token = StripAccents(token);
            SplitOnPunctuation(token, tokens);
        }
        return tokens;
    }

    static string Clean(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length;)
        {
            Rune r = PythonText.RuneAt(text, i, out int w);
            i += w;
            if (r.Value == 0 || r.Value == 0xFFFD || IsControl(r)) continue;
            if (IsWhitespace(r)) sb.Append(' ');
            else sb.Append(r.ToString());
        }
        return sb.ToString();
    }

    static string SpaceOutChineseCharacters(string text)
    {
        var sb = new StringBuilder(text.Length);
        for (int i = 0; i < text.Length;)
        {
            Rune r = PythonText.RuneAt(text, i, out int w);
            i += w;
            if (IsChineseCharacter(r.Value)) sb.Append(' ').Append(r.ToString()).Append(' ');
            else sb.Append(r.ToString());
        }
        return sb.ToString();
    }

    static string StripAccents(string token)
    {
        string nfd = CanonicalDecomposition.ToNfd(token);
        var sb = new StringBuilder(nfd.Length);
        for (int i = 0; i < nfd.Length;)
        {
            Rune r = PythonText.RuneAt(nfd, i, out int w);
            i += w;
            if (Rune.GetUnicodeCategory(r) != UnicodeCategory.NonSpacingMark) sb.Append(r.ToString());
        }
        return sb.ToString();
    }

    static void SplitOnPunctuation(string token, List<string> output)
    {
        int start = 0;
        for (int i = 0; i < token.Length;)
        {
            Rune r = PythonText.RuneAt(token, i, out int w);
            if (IsPunctuation(r))
            {
                if (i > start) output.Add(token[start..i]);
                output.Add(token.Substring(i, w));
                start = i + w;
            }
            i += w;
        }
        if (start < token.Length) output.Add(token[start..]);
    }

    // Tab, newline and carriage return count as whitespace, not control.
    static bool IsWhitespace(Rune r) =>
        r.Value is ' ' or '\t' or '\n' or '\r' || Rune.GetUnicodeCategory(r) == UnicodeCategory.SpaceSeparator;

    static bool IsControl(Rune r)
    {
        if (r.Value is '\t' or '\n' or '\r') return false;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.Control or UnicodeCategory.Format
            or UnicodeCategory.OtherNotAssigned or UnicodeCategory.PrivateUse or UnicodeCategory.Surrogate;
    }

    // All non-letter/number ASCII counts as punctuation ("^", "$", "`" too), as in BERT.
    static bool IsPunctuation(Rune r)
    {
        int cp = r.Value;
        if (cp is >= 33 and <= 47 or >= 58 and <= 64 or >= 91 and <= 96 or >= 123 and <= 126) return true;
        return Rune.GetUnicodeCategory(r) is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
            or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
            or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;
    }

    // The CJK Unified Ideographs blocks BERT treats as characters of their own.
    static bool IsChineseCharacter(int cp) =>
        cp is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF
            or >= 0x2A700 and <= 0x2B73F or >= 0x2B740 and <= 0x2B81F or >= 0x2B820 and <= 0x2CEAF
            or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
