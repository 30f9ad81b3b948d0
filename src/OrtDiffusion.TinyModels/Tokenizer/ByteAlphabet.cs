namespace OrtDiffusion.TinyModels.Tokenizer;

/// <summary>
/// GPT-2 / CLIP byte-level alphabet: every byte maps to one printable character. Printable Latin-1 bytes
/// (<c>!</c>–<c>~</c>, <c>¡</c>–<c>¬</c>, <c>®</c>–<c>ÿ</c>) map to themselves; the other 68 bytes map, in byte order, to
/// U+0100 onwards. The vocabulary lists the printable bytes first, then the others, as CLIP's does.
/// </summary>
internal static class ByteAlphabet
{
    /// <summary>The 256 symbols in vocabulary order (printable bytes first).</summary>
    public static IReadOnlyList<string> SymbolsInVocabularyOrder { get; } = Build().Order;

    /// <summary>The symbol of each byte value.</summary>
    public static IReadOnlyList<string> SymbolOfByte { get; } = Build().ByByte;

    private static (string[] Order, string[] ByByte) Build()
    {
        var printable = new List<int>();
        printable.AddRange(Enumerable.Range('!', '~' - '!' + 1));
        printable.AddRange(Enumerable.Range('¡', '¬' - '¡' + 1));
        printable.AddRange(Enumerable.Range('®', 'ÿ' - '®' + 1));
        var byByte = new string[256];
        var order = new List<string>(256);
        foreach (var b in printable)
        {
            byByte[b] = ((char)b).ToString();
            order.Add(byByte[b]);
        }

        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            if (byByte[b] is null)
            {
                byByte[b] = ((char)next++).ToString();
                order.Add(byByte[b]);
            }
        }

        return ([.. order], byByte);
    }
}
