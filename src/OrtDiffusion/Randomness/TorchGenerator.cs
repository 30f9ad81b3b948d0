namespace OrtDiffusion.Randomness;

/// <summary>
/// Reproduces <c>torch.Generator().manual_seed(seed)</c> on the CPU together with
/// <c>torch.randn</c> and <c>torch.rand</c> for float32, so that latents drawn here match the
/// ones diffusers draws with a CPU generator seed for seed, bit for bit.
/// </summary>
/// <remarks>
/// <para>Consecutive calls continue the stream exactly as consecutive torch calls on one
/// generator do, including the cached second Box–Muller value of the small-tensor path.</para>
/// <para><c>torch.randn(n)</c> takes one of two routes: for n ≥ 16 it draws n float uniforms
/// (24-bit) and transforms them in blocks of 16, redrawing 16 fresh uniforms for the last block
/// when n is not a multiple of 16; for n &lt; 16 it draws each value from a double-precision
/// Box–Muller (53-bit uniforms) whose sine half is cached in the generator for the next small
/// draw. <see cref="FillNormal"/> follows the same route for the same length.</para>
/// <para>Checked bit for bit against torch 1.13 on Linux for both kernels. The small-tensor route
/// and <see cref="TorchNormalKernel.Scalar"/> call the C library's log, sin and cos through .NET's
/// Math/MathF, so on a platform whose C library rounds differently (e.g. Windows) a rare value can
/// differ in its last bit; <see cref="TorchNormalKernel.Avx2"/> uses only basic arithmetic and is
/// the same everywhere.</para>
/// <para>Not thread-safe; use one generator per thread of work.</para>
/// </remarks>
public sealed class TorchGenerator
{
    private const float Uniform24Scale = 1f / (1 << 24);
    private const double Uniform53Scale = 1.0 / (1UL << 53);

    private Mt19937 _engine;
    private double? _nextDoubleNormal;

    /// <summary>Creates a generator seeded like <c>torch.Generator().manual_seed(seed)</c>.</summary>
    /// <param name="seed">The seed. As in PyTorch, only its low 32 bits reach the Mersenne Twister.</param>
    /// <param name="normalKernel">Which PyTorch CPU kernel <see cref="FillNormal"/> reproduces for 16 or more values.</param>
    public TorchGenerator(ulong seed, TorchNormalKernel normalKernel = TorchNormalKernel.Avx2)
    {
        _engine = new Mt19937(seed);
        InitialSeed = seed;
        NormalKernel = normalKernel;
    }

    private TorchGenerator(TorchGenerator other)
    {
        _engine = other._engine.Clone();
        _nextDoubleNormal = other._nextDoubleNormal;
        InitialSeed = other.InitialSeed;
        NormalKernel = other.NormalKernel;
    }

    /// <summary>The seed last given (what <c>generator.initial_seed()</c> returns).</summary>
    public ulong InitialSeed { get; private set; }

    /// <summary>The PyTorch CPU kernel reproduced for normal draws of 16 or more values.</summary>
    public TorchNormalKernel NormalKernel { get; set; }

    /// <summary>Re-seeds, like <c>generator.manual_seed(seed)</c>: resets the stream and the cached normal value.</summary>
    /// <param name="seed">The new seed.</param>
    public void ManualSeed(ulong seed)
    {
        _engine = new Mt19937(seed);
        _nextDoubleNormal = null;
        InitialSeed = seed;
    }

    /// <summary>An independent copy with the same state (like <c>generator.clone_state()</c> in spirit).</summary>
    public TorchGenerator Clone() => new(this);

    /// <summary>The next raw 32-bit output of the Mersenne Twister (PyTorch's <c>random()</c>).</summary>
    public uint NextUInt32() => _engine.Next();

    /// <summary>The next 64-bit value, two 32-bit outputs with the first one high (PyTorch's <c>random64()</c>).</summary>
    public ulong NextUInt64()
    {
        ulong hi = _engine.Next();
        ulong lo = _engine.Next();
        return (hi << 32) | lo;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with standard normal values exactly as
    /// <c>torch.randn(destination.Length, generator=g)</c> (float32, contiguous) would.
    /// </summary>
    /// <param name="destination">The values; its length selects torch's route (see remarks on the class).</param>
    public void FillNormal(Span<float> destination)
    {
        int n = destination.Length;
        if (n == 0)
            return;
        if (n < 16)
        {
            for (int i = 0; i < n; i++)
                destination[i] = (float)NextDoubleNormal();
            return;
        }

        FillUniform(destination);
        bool avx2 = NormalKernel == TorchNormalKernel.Avx2;
        for (int i = 0; i + 16 <= n; i += 16)
            FillBlock(destination.Slice(i, 16), avx2);
        if (n % 16 != 0)
        {
            // torch redoes the last 16 values from fresh uniforms, overwriting part of the previous block.
            var tail = destination[(n - 16)..];
            FillUniform(tail);
            FillBlock(tail, avx2);
        }
    }

    /// <summary>
    /// Returns a new float32 array of standard normal values, as <c>torch.randn(*shape, generator=g)</c>
    /// (the values in C order).
    /// </summary>
    /// <param name="shape">The dimensions; the result has their product as its length.</param>
    public float[] Randn(params int[] shape)
    {
        var result = new float[ElementCount(shape)];
        FillNormal(result);
        return result;
    }

    /// <summary>
    /// Fills <paramref name="destination"/> with uniform values in [0, 1) exactly as
    /// <c>torch.rand(destination.Length, generator=g)</c> (float32) would: one 32-bit draw per
    /// value, its low 24 bits scaled by 2⁻²⁴.
    /// </summary>
    /// <param name="destination">The values.</param>
    public void FillUniform(Span<float> destination)
    {
        for (int i = 0; i < destination.Length; i++)
            destination[i] = (_engine.Next() & 0xFFFFFFu) * Uniform24Scale;
    }

    /// <summary>Returns a new float32 array as <c>torch.rand(*shape, generator=g)</c>.</summary>
    /// <param name="shape">The dimensions; the result has their product as its length.</param>
    public float[] Rand(params int[] shape)
    {
        var result = new float[ElementCount(shape)];
        FillUniform(result);
        return result;
    }

    /// <summary>
    /// One value of torch's scalar route: <c>at::normal_distribution&lt;double&gt;</c>, a
    /// Box–Muller pair from two 53-bit uniforms, returning the cosine half and caching the sine half.
    /// </summary>
    private double NextDoubleNormal()
    {
        if (_nextDoubleNormal is double cached)
        {
            _nextDoubleNormal = null;
            return cached;
        }
        double u1 = (NextUInt64() & ((1UL << 53) - 1)) * Uniform53Scale;
        double u2 = (NextUInt64() & ((1UL << 53) - 1)) * Uniform53Scale;
        // PyTorch 1.13 writes log(1 - u2); later versions log1p(-u2). 1 - u2 is exact for these
        // u2, so the two can differ only where the C library rounds log and log1p differently.
        double r = Math.Sqrt(-2.0 * Math.Log(1.0 - u2));
        double theta = 2.0 * Math.PI * u1;
        _nextDoubleNormal = r * Math.Sin(theta);
        return r * Math.Cos(theta);
    }

    private static void FillBlock(Span<float> block, bool avx2)
    {
        if (avx2)
            TorchBoxMuller.FillAvx2_16(block);
        else
            TorchBoxMuller.FillScalar16(block);
    }

    private static int ElementCount(int[] shape)
    {
        ArgumentNullException.ThrowIfNull(shape);
        long count = 1;
        foreach (int dim in shape)
        {
            if (dim < 0)
                throw new ArgumentException($"Shape [{string.Join(", ", shape)}] has a negative dimension.", nameof(shape));
            count *= dim;
            if (count > Array.MaxLength)
                throw new ArgumentException($"Shape [{string.Join(", ", shape)}] has more elements than an array can hold.", nameof(shape));
        }
        return (int)count;
    }
}
