namespace OrtDiffusion.Randomness;

/// <summary>
/// One lane of the single-precision log and sincos that PyTorch's AVX2 <c>normal_fill</c> uses
/// (Cephes polynomials, vectorised in PyTorch's <c>avx_mathfun.h</c>), evaluated with the same
/// float operations in the same order. Where GCC contracts a multiply followed by an add into
/// one fused multiply-add in PyTorch's AVX2 build, this code calls
/// <see cref="MathF.FusedMultiplyAdd"/>; those choices were confirmed bit for bit against
/// torch's output (see tests/OrtDiffusion.Tests/Fixtures/randomness).
/// Only arguments in the ranges Box–Muller produces are needed: log on (0, 1], sincos on [0, 2π).
/// </summary>
internal static class TorchAvx2Math
{
    // Cephes logf: log(1 + x) ≈ x - x²/2 + x³·P(x) for x in [√½ - 1, √2 - 1].
    private const float SqrtHalf = 0.707106781186547524f;
    private const float LogP0 = 7.0376836292E-2f;
    private const float LogP1 = -1.1514610310E-1f;
    private const float LogP2 = 1.1676998740E-1f;
    private const float LogP3 = -1.2420140846E-1f;
    private const float LogP4 = 1.4249322787E-1f;
    private const float LogP5 = -1.6668057665E-1f;
    private const float LogP6 = 2.0000714765E-1f;
    private const float LogP7 = -2.4999993993E-1f;
    private const float LogP8 = 3.3333331174E-1f;
    // ln 2 split in two so that e·ln2 keeps extra precision.
    private const float Ln2Low = -2.12194440e-4f;
    private const float Ln2High = 0.693359375f;

    // Cephes sinf/cosf: reduce by multiples of π/4 (π/4 split in three parts), then a
    // polynomial for sin or cos on [-π/4, π/4].
    private const float FourOverPi = 1.27323954473516f;
    private const float MinusPiOver4A = -0.78515625f;
    private const float MinusPiOver4B = -2.4187564849853515625e-4f;
    private const float MinusPiOver4C = -3.77489497744594108e-8f;
    private const float SinP0 = -1.9515295891E-4f;
    private const float SinP1 = 8.3321608736E-3f;
    private const float SinP2 = -1.6666654611E-1f;
    private const float CosP0 = 2.443315711809948E-005f;
    private const float CosP1 = -1.388731625493765E-003f;
    private const float CosP2 = 4.166664568298827E-002f;

    private const int SignBit = unchecked((int)0x80000000);

    /// <summary>Natural logarithm of a positive float (the lane computation of log256_ps).</summary>
    public static float Log(float x)
    {
        // Denormals are lifted to the smallest normal; log(0) is never requested by Box–Muller.
        x = MathF.Max(x, BitConverter.Int32BitsToSingle(0x00800000));
        int bits = BitConverter.SingleToInt32Bits(x);
        int exponent = (int)((uint)bits >> 23) - 0x7f;
        // Keep the mantissa, with the exponent of 0.5: m in [0.5, 1).
        float m = BitConverter.Int32BitsToSingle((bits & ~0x7f800000) | 0x3f000000);
        float e = (float)exponent + 1f;

        // Bring m into [√½, √2) around 1: if m < √½ use 2m - 1 and decrement e, else m - 1.
        bool small = m < SqrtHalf;
        float extra = small ? m : 0f;
        m -= 1f;
        e -= small ? 1f : 0f;
        m += extra;

        float z = m * m;
        float y = LogP0;
        y = MathF.FusedMultiplyAdd(y, m, LogP1);
        y = MathF.FusedMultiplyAdd(y, m, LogP2);
        y = MathF.FusedMultiplyAdd(y, m, LogP3);
        y = MathF.FusedMultiplyAdd(y, m, LogP4);
        y = MathF.FusedMultiplyAdd(y, m, LogP5);
        y = MathF.FusedMultiplyAdd(y, m, LogP6);
        y = MathF.FusedMultiplyAdd(y, m, LogP7);
        y = MathF.FusedMultiplyAdd(y, m, LogP8);
        y *= m;
        y = MathF.FusedMultiplyAdd(y, z, e * Ln2Low);
        y = MathF.FusedMultiplyAdd(-z, 0.5f, y); // z·0.5 is exact, so fused or not gives the same
        m += y;
        return MathF.FusedMultiplyAdd(e, Ln2High, m); // e·Ln2High is exact for the exponents seen here
    }

    /// <summary>Sine and cosine of a non-negative float (the lane computation of sincos256_ps).</summary>
    public static void SinCos(float x, out float sin, out float cos)
    {
        int sinSign = BitConverter.SingleToInt32Bits(x) & SignBit;
        x = MathF.Abs(x);

        // Octant j (made even), so that x - j·π/4 lies in [-π/4, π/4].
        int j = (int)(x * FourOverPi);
        j = (j + 1) & ~1;
        float y = j;
        int sinSwap = (j & 4) << 29;
        bool sinUsesSinPolynomial = (j & 2) == 0;

        // Extended-precision reduction x - j·π/4 with π/4 = A + B + C.
        x = MathF.FusedMultiplyAdd(y, MinusPiOver4A, x);
        x = MathF.FusedMultiplyAdd(y, MinusPiOver4B, x);
        x = MathF.FusedMultiplyAdd(y, MinusPiOver4C, x);

        int cosSign = (~(j - 2) & 4) << 29;
        sinSign ^= sinSwap;

        float z = x * x;
        float c = CosP0;
        c = MathF.FusedMultiplyAdd(c, z, CosP1);
        c = MathF.FusedMultiplyAdd(c, z, CosP2);
        c *= z;
        c = MathF.FusedMultiplyAdd(c, z, -(z * 0.5f));
        c += 1f;

        float s = SinP0;
        s = MathF.FusedMultiplyAdd(s, z, SinP1);
        s = MathF.FusedMultiplyAdd(s, z, SinP2);
        s *= z;
        s = MathF.FusedMultiplyAdd(s, x, x);

        // Blend exactly as the vector code does (masking with +0 and adding), so that signed
        // zeros come out the same.
        float sinFromS = sinUsesSinPolynomial ? s : 0f;
        float sinFromC = sinUsesSinPolynomial ? 0f : c;
        float cosFromS = s - sinFromS;
        float cosFromC = c - sinFromC;
        float sinValue = sinFromC + sinFromS;
        float cosValue = cosFromC + cosFromS;
        sin = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(sinValue) ^ sinSign);
        cos = BitConverter.Int32BitsToSingle(BitConverter.SingleToInt32Bits(cosValue) ^ cosSign);
    }
}
