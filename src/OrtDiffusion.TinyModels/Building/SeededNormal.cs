namespace OrtDiffusion.TinyModels.Building;

/// <summary>
/// A small deterministic generator of standard normal numbers (SplitMix64 and Box–Muller). Written out here
/// rather than taken from <see cref="Random"/> so the zoo's weights are the same bytes on every .NET version.
/// </summary>
internal sealed class SeededNormal
{
    private ulong state;
    private double? spare;

    public SeededNormal(ulong seed) => state = seed;

    /// <summary>A generator whose stream depends on the zoo seed and a tensor name only, so adding or
    /// reordering tensors never changes the values of the others.</summary>
    public static SeededNormal ForName(long seed, string name) => new(Mix(unchecked((ulong)seed) ^ Fnv1a(name)));

    public double Next()
    {
        if (spare is double s)
        {
            spare = null;
            return s;
        }

        // Box–Muller on two uniforms in (0, 1].
        var u1 = NextUniform();
        var u2 = NextUniform();
        var radius = Math.Sqrt(-2.0 * Math.Log(u1));
        var angle = 2.0 * Math.PI * u2;
        spare = radius * Math.Sin(angle);
        return radius * Math.Cos(angle);
    }

    private double NextUniform() => ((NextBits() >> 11) + 1) * (1.0 / 9007199254740992.0);

    private ulong NextBits()
    {
        state = unchecked(state + 0x9E3779B97F4A7C15UL);
        return Mix(state);
    }

    private static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    private static ulong Fnv1a(string text)
    {
        var hash = 0xCBF29CE484222325UL;
        foreach (var c in text)
        {
            unchecked
            {
                hash = (hash ^ c) * 0x100000001B3UL;
            }
        }

        return hash;
    }
}
