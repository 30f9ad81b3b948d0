namespace OrtDiffusion.Randomness;

/// <summary>
/// PyTorch's in-place Box–Muller over a block of 16 uniforms (<c>normal_fill_16</c>):
/// element j and j+8 (j &lt; 8) become r·cos θ and r·sin θ with r = √(−2 ln(1 − u_j)),
/// θ = 2π·u_{j+8}. Two variants, one per PyTorch CPU kernel.
/// </summary>
internal static class TorchBoxMuller
{
    /// <summary>2π rounded to float, as the AVX2 kernel broadcasts it.</summary>
    private const float TwoPiFloat = (float)(2.0 * Math.PI);

    /// <summary>The portable kernel: C library logf/cosf/sinf, θ computed in double then rounded.</summary>
    public static void FillScalar16(Span<float> block)
    {
        for (int j = 0; j < 8; j++)
        {
            float u1 = 1f - block[j];          // [0, 1) -> (0, 1] for the logarithm
            float u2 = block[j + 8];
            float radius = MathF.Sqrt(-2f * MathF.Log(u1));
            float theta = (float)(2.0 * Math.PI * u2);
            block[j] = radius * MathF.Cos(theta);
            block[j + 8] = radius * MathF.Sin(theta);
        }
    }

    /// <summary>The AVX2 kernel: Cephes polynomial log and sincos, θ computed in float.</summary>
    public static void FillAvx2_16(Span<float> block)
    {
        for (int j = 0; j < 8; j++)
        {
            float u1 = 1f - block[j];
            float u2 = block[j + 8];
            float radius = MathF.Sqrt(-2f * TorchAvx2Math.Log(u1));
            float theta = TwoPiFloat * u2;
            TorchAvx2Math.SinCos(theta, out float sin, out float cos);
            // torch finishes with fma(n, std, mean); with std 1 and mean 0 that adds +0,
            // which turns a -0 into +0.
            block[j] = radius * cos + 0f;
            block[j + 8] = radius * sin + 0f;
        }
    }
}
