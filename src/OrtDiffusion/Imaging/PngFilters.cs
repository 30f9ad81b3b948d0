namespace OrtDiffusion.Imaging;

/// <summary>
/// The five PNG scanline filters (None, Sub, Up, Average, Paeth) for 8-bit samples, where the
/// "left" neighbour is <c>bpp</c> bytes back and the row above is <c>prev</c> (zeros for the first row).
/// </summary>
internal static class PngFilters
{
    public const int Count = 5;

    /// <summary>Writes the filtered form of <paramref name="row"/> into <paramref name="dest"/> (same length).</summary>
    public static void Apply(int type, ReadOnlySpan<byte> row, ReadOnlySpan<byte> prev, int bpp, Span<byte> dest)
    {
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0;
            int b = prev[i];
            int c = i >= bpp ? prev[i - bpp] : 0;
            dest[i] = (byte)(row[i] - Predict(type, a, b, c));
        }
    }

    /// <summary>Undoes filter <paramref name="type"/> in place. Returns false for an unknown filter type.</summary>
    public static bool Reverse(int type, Span<byte> row, ReadOnlySpan<byte> prev, int bpp)
    {
        if ((uint)type >= Count)
            return false;
        if (type == 0)
            return true;
        for (int i = 0; i < row.Length; i++)
        {
            int a = i >= bpp ? row[i - bpp] : 0; // already reconstructed
            int b = prev[i];
            int c = i >= bpp ? prev[i - bpp] : 0;
            row[i] = (byte)(row[i] + Predict(type, a, b, c));
        }
        return true;
    }

    /// <summary>
    /// Picks the filter whose output has the smallest sum of absolute values (bytes read as
    /// signed), the heuristic the PNG specification recommends, and writes the filter type byte
    /// followed by the filtered row into <paramref name="dest"/>.
    /// </summary>
    public static void FilterBest(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prev, int bpp, Span<byte> dest, Span<byte> scratch)
    {
        long bestCost = long.MaxValue;
        int bestType = 0;
        for (int type = 0; type < Count; type++)
        {
            Apply(type, row, prev, bpp, scratch);
            long cost = 0;
            foreach (byte v in scratch)
                cost += Math.Abs((int)(sbyte)v); // (sbyte)-128 has no sbyte absolute value
            if (cost < bestCost)
            {
                bestCost = cost;
                bestType = type;
                scratch.CopyTo(dest[1..]);
            }
        }
        dest[0] = (byte)bestType;
    }

    private static int Predict(int type, int a, int b, int c) => type switch
    {
        0 => 0,
        1 => a,
        2 => b,
        3 => (a + b) >> 1,
        _ => Paeth(a, b, c),
    };

    private static int Paeth(int a, int b, int c)
    {
        int p = a + b - c;
        int pa = Math.Abs(p - a), pb = Math.Abs(p - b), pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc)
            return a;
        return pb <= pc ? b : c;
    }
}
