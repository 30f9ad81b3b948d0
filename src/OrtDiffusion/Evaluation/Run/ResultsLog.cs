namespace OrtDiffusion.Evaluation;

/// <summary>
/// <c>results.jsonl</c>: one JSON line per finished item, appended line-atomically (one unbuffered write of the whole
/// line, then a flush to disk), so the file is always complete lines plus, after a crash, at most one torn line at
/// the end. Opening for writing cuts such a torn tail off (the item is simply redone); a broken line that is
/// followed by others is corruption, not a crash, and is reported. When a key appears twice the later line wins.
/// </summary>
internal sealed class ResultsLog
{
    public const string FileName = "results.jsonl";

    private readonly string path;
    private readonly List<ItemResult> items;

    private ResultsLog(string path, List<ItemResult> items, long tornBytes)
    {
        this.path = path;
        this.items = items;
        TornBytes = tornBytes;
    }

    /// <summary>Every parsed line, in file order.</summary>
    public IReadOnlyList<ItemResult> Items => items;

    /// <summary>Bytes of the torn last line that was ignored (0 when the file ended cleanly).</summary>
    public long TornBytes { get; }

    /// <summary>The last line of each key, in file order of those lines.</summary>
    public IReadOnlyList<ItemResult> Latest()
    {
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < items.Count; i++)
        {
            last[items[i].Key] = i;
        }

        return [.. last.Values.Order().Select(i => items[i])];
    }

    /// <summary>Reads the log at <paramref name="path"/> (empty if absent); with <paramref name="repair"/>, cuts a torn tail off the file.</summary>
    /// <exception cref="InvalidDataException">A complete line that is not a valid result.</exception>
    public static ResultsLog Open(string path, bool repair)
    {
        if (!File.Exists(path))
        {
            return new ResultsLog(path, [], 0);
        }

        var bytes = File.ReadAllBytes(path);
        var items = new List<ItemResult>();
        var start = 0;
        var line = 1;
        while (true)
        {
            var newline = Array.IndexOf(bytes, (byte)'\n', start);
            if (newline < 0)
            {
                break;
            }

            var span = bytes.AsSpan(start, newline - start);
            if (span.Trim((byte)' ').Length > 0)
            {
                items.Add(ItemResult.Parse(span, $"'{path}', line {line}"));
            }

            start = newline + 1;
            line++;
        }

        var torn = bytes.Length - start;
        if (torn > 0 && repair)
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Write, FileShare.Read);
            stream.SetLength(start);
            stream.Flush(flushToDisk: true);
        }

        return new ResultsLog(path, items, torn);
    }

    /// <summary>Appends one item's line with a single write and flushes it to disk.</summary>
    public void Append(ItemResult item)
    {
        var bytes = item.ToJsonLine();
        using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read, bufferSize: 0))
        {
            stream.Write(bytes);
            stream.Flush(flushToDisk: true);
        }

        items.Add(item);
    }
}
