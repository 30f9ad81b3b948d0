using System.Security.Cryptography;
using System.Text;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// Reads an evaluation prompt set. A <c>.csv</c> file is CSV with a header row and a <c>caption</c> column (COCO
/// caption exports, PartiPrompts-style tables; other columns are ignored; fields may be quoted and hold commas,
/// quotes and line breaks). Any other file is plain text, one prompt per line. Blank lines and blank captions are
/// skipped, and prompts are numbered 0, 1, … in file order after skipping.
/// </summary>
public static class PromptFile
{
    /// <summary>The CSV column holding the prompts.</summary>
    public const string CaptionColumn = "caption";

    /// <summary>Reads the prompts of <paramref name="path"/>.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="FormatException">The CSV has no <c>caption</c> column or is malformed (the message names the line), or the file holds no prompt.</exception>
    public static IReadOnlyList<string> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The prompt file '{path}' does not exist.", path);
        }

        var text = File.ReadAllText(path, Encoding.UTF8);
        var prompts = Path.GetExtension(path).Equals(".csv", StringComparison.OrdinalIgnoreCase)
            ? ParseCsv(text, path)
            : ParseText(text);
        return prompts.Count > 0 ? prompts : throw new FormatException($"The prompt file '{path}' holds no prompt.");
    }

    /// <summary>Plain text: one prompt per line (LF or CRLF), surrounding white space trimmed, blank lines skipped.</summary>
    public static IReadOnlyList<string> ParseText(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return [.. text.TrimStart('\uFEFF').Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0)];
    }

    /// <summary>CSV with a header row naming a <c>caption</c> column (matched without regard to case).</summary>
    /// <param name="text">The file's text.</param>
    /// <param name="source">Names the file in error messages.</param>
    public static IReadOnlyList<string> ParseCsv(string text, string source = "<csv>")
    {
        ArgumentNullException.ThrowIfNull(text);
        var records = CsvRecords.Parse(text, source);
        if (records.Count == 0)
        {
            throw new FormatException($"{source}: the CSV file is empty; it needs a header row with a '{CaptionColumn}' column.");
        }

        var header = records[0].Fields;
        var column = header.FindIndex(h => h.Trim().Equals(CaptionColumn, StringComparison.OrdinalIgnoreCase));
        if (column < 0)
        {
            throw new FormatException($"{source}: the header row has no '{CaptionColumn}' column (its columns: {string.Join(", ", header.Select(h => $"'{h}'"))}).");
        }

        var prompts = new List<string>();
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields is [""])
            {
                continue; // a blank line
            }

            if (column >= fields.Count)
            {
                throw new FormatException($"{source}, line {line}: the record has {fields.Count} field(s) but '{CaptionColumn}' is column {column + 1}.");
            }

            var caption = fields[column].Trim();
            if (caption.Length > 0)
            {
                prompts.Add(caption);
            }
        }

        return prompts;
    }

    /// <summary>A fingerprint of a prompt list (SHA-256 of the prompts joined by NUL), so a resumed or merged run can check it has the same prompts.</summary>
    public static string Fingerprint(IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', prompts))));
    }
}
