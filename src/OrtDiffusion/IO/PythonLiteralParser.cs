using System.Globalization;
using System.Text;

namespace OrtDiffusion.IO;

/// <summary>
/// Parses the small subset of Python literals a <c>.npy</c> header uses: dicts, tuples,
/// lists, strings, integers (an old <c>L</c> suffix allowed), <c>True</c>, <c>False</c>,
/// <c>None</c>. Tuples and lists become <see cref="List{T}"/>, integers <see cref="long"/>.
/// </summary>
internal sealed class PythonLiteralParser(string text)
{
    private int _pos;

    public object? ParseValue()
    {
        SkipSpace();
        if (_pos >= text.Length)
            throw new FormatException("unexpected end of header.");
        char c = text[_pos];
        return c switch
        {
            '{' => ParseDict(),
            '(' => ParseSequence('(', ')'),
            '[' => ParseSequence('[', ']'),
            '\'' or '"' => ParseString(),
            _ when c == '-' || char.IsAsciiDigit(c) => ParseInteger(),
            _ => ParseName(),
        };
    }

    public void ExpectEnd()
    {
        SkipSpace();
        if (_pos != text.Length)
            throw new FormatException($"unexpected '{text[_pos]}' at offset {_pos}.");
    }

    /// <summary>A short description of a parsed value for error messages.</summary>
    public static string Describe(object? value) => value switch
    {
        null => "None",
        string s => $"'{s}'",
        List<object?> list => "(" + string.Join(", ", list.Select(Describe)) + ")",
        bool b => b ? "True" : "False",
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "?",
    };

    private Dictionary<string, object?> ParseDict()
    {
        Expect('{');
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal);
        while (true)
        {
            SkipSpace();
            if (TryConsume('}'))
                return dict;
            if (ParseValue() is not string key)
                throw new FormatException($"dict key at offset {_pos} is not a string.");
            SkipSpace();
            Expect(':');
            dict[key] = ParseValue();
            SkipSpace();
            if (TryConsume(','))
                continue;
            SkipSpace();
            Expect('}');
            return dict;
        }
    }

    private List<object?> ParseSequence(char open, char close)
    {
        Expect(open);
        var items = new List<object?>();
        while (true)
        {
            SkipSpace();
            if (TryConsume(close))
                return items;
            items.Add(ParseValue());
            SkipSpace();
            if (TryConsume(','))
                continue;
            SkipSpace();
            Expect(close);
            return items;
        }
    }

    private string ParseString()
    {
        char quote = text[_pos++];
        var sb = new StringBuilder();
        while (_pos < text.Length && text[_pos] != quote)
        {
            char c = text[_pos++];
            if (c == '\\' && _pos < text.Length)
                c = text[_pos++];
            sb.Append(c);
        }
        if (_pos >= text.Length)
            throw new FormatException("unterminated string.");
        _pos++;
        return sb.ToString();
    }

    private long ParseInteger()
    {
        int start = _pos;
        if (text[_pos] == '-')
            _pos++;
        while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
            _pos++;
        if (!long.TryParse(text.AsSpan(start, _pos - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long value))
            throw new FormatException($"'{text[start.._pos]}' at offset {start} is not a 64-bit integer.");
        // Python 2 wrote long integers with an 'L' suffix.
        if (_pos < text.Length && text[_pos] is 'L' or 'l')
            _pos++;
        return value;
    }

    private object? ParseName()
    {
        int start = _pos;
        while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] == '_'))
            _pos++;
        return text[start.._pos] switch
        {
            "True" => true,
            "False" => false,
            "None" => null,
            "" => throw new FormatException($"unexpected '{text[start]}' at offset {start}."),
            var name => throw new FormatException($"unexpected name '{name}' at offset {start}."),
        };
    }

    private void SkipSpace()
    {
        while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            _pos++;
    }

    private bool TryConsume(char c)
    {
        if (_pos < text.Length && text[_pos] == c)
        {
            _pos++;
            return true;
        }
        return false;
    }

    private void Expect(char c)
    {
        if (!TryConsume(c))
            throw new FormatException(_pos < text.Length
                ? $"expected '{c}' at offset {_pos}, found '{text[_pos]}'."
                : $"expected '{c}' but the header ended.");
    }
}
