using System.Text;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// Splits CSV text into records as RFC 4180 describes: fields separated by commas, records by LF or CRLF, a field in
/// double quotes may hold commas, line breaks and doubled quotes (<c>""</c> stands for one <c>"</c>).
/// </summary>
internal static class CsvRecords
{
    /// <summary>The records of <paramref name="text"/>, each with the 1-based line it starts on.</summary>
    /// <exception cref="FormatException">A quoted field is not closed, or a quote appears inside an unquoted field.</exception>
    public static List<(int Line, List<string> Fields)> Parse(string text, string source)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var line = 1;
        var recordLine = 1;
        var i = 0;
        var fieldStarted = false;
        if (text.Length > 0 && text[0] == '\uFEFF')
        {
            i = 1; // a byte-order mark is not part of the first header
        }

        while (i < text.Length)
        {
            var c = text[i];
            if (c == '"' && field.Length == 0 && !fieldStarted)
            {
                var openedOn = line;
                i++;
                while (true)
                {
                    if (i >= text.Length)
                    {
                        throw new FormatException($"{source}: the quoted field opened on line {openedOn} is never closed.");
                    }

                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"')
                        {
                            field.Append('"');
                            i += 2;
                            continue;
                        }

                        i++;
                        break;
                    }

                    if (text[i] == '\n')
                    {
                        line++;
                    }

                    field.Append(text[i]);
                    i++;
                }

                fieldStarted = true;
                if (i < text.Length && text[i] is not (',' or '\r' or '\n'))
                {
                    throw new FormatException($"{source}, line {line}: unexpected '{text[i]}' after a closing quote (a quoted field must end at a comma or the end of the line).");
                }

                continue;
            }

            switch (c)
            {
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    i++;
                    break;
                case '\r' when i + 1 < text.Length && text[i + 1] == '\n':
                    i++;
                    break;
                case '\n' or '\r':
                    fields.Add(field.ToString());
                    field.Clear();
                    fieldStarted = false;
                    records.Add((recordLine, fields));
                    fields = [];
                    line++;
                    recordLine = line;
                    i++;
                    break;
                case '"':
                    throw new FormatException($"{source}, line {line}: a quote inside an unquoted field; quote the whole field and double the quote (\"\"), as CSV requires.");
                default:
                    field.Append(c);
                    fieldStarted = true;
                    i++;
                    break;
            }
        }

        if (fieldStarted || field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            records.Add((recordLine, fields));
        }

        return records;
    }
}
