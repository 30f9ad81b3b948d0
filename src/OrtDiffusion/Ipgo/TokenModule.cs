using System.Numerics.Tensors;
using OrtDiffusion.Randomness;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Ipgo;

/// <summary>
/// One set of learned IPGO tokens (the prefix or the suffix): token i = Rot(W a_i + b; θ_i, start = i) with an
/// orthonormal basis W ∈ R^{D×K} (<see cref="HouseholderBasis"/>), a bias b ∈ R^D, coefficients
/// a_i = clamp(ã_i, −1, 1) ∈ R^K and angles θ_i = clamp(θ̃_i, −π, π) (the clamps are parameterisations: the value is
/// clamped and the gradient is zero outside the bound, as PyTorch's <c>clamp</c>), and the
/// <see cref="PairwiseRotation"/> (off reproduces the released code, where the angle slice is empty).
/// </summary>
/// <remarks>
/// <see cref="Parameters"/> holds every trained value in one array, in PyTorch's shapes and order:
/// X <c>[D, K]</c> (the basis's <c>original</c>), b <c>[D]</c>, ã <c>[L, K]</c>, θ̃ <c>[L, 2]</c>; that is
/// D·K + D + L·(K + 2) values (234 188 at D = 768, K = 300, L = 10). The basis's B <c>[D, D]</c> is a fixed buffer,
/// not a parameter. Every derivative is written by hand (<see cref="Backward(TokenForward, ReadOnlySpan{float}, Span{float})"/>).
/// </remarks>
public sealed class TokenModule
{
    /// <summary>The coefficient bound: a_i ∈ [−1, 1]^K.</summary>
    public const float CoefficientBound = 1f;

    /// <summary>The angle bound: θ_i ∈ [−π, π]² (π rounded to float, as PyTorch clamps a float tensor).</summary>
    public const float AngleBound = MathF.PI;

    private TokenModule(HouseholderBasis basis, int length, bool rotation, float[] parameters)
    {
        Basis = basis;
        Length = length;
        Rotation = rotation;
        Parameters = parameters;
    }

    /// <summary>D, the text width.</summary>
    public int Width => Basis.Rows;

    /// <summary>K, the basis size.</summary>
    public int BasisSize => Basis.Columns;

    /// <summary>L, the number of tokens.</summary>
    public int Length { get; }

    /// <summary>Whether the pairwise rotation is applied.</summary>
    public bool Rotation { get; }

    /// <summary>The basis parameterisation (its buffer B); its parameter X is the first segment of <see cref="Parameters"/>.</summary>
    public HouseholderBasis Basis { get; }

    /// <summary>Every trained value: X, b, ã, θ̃ (see the remarks). The optimiser updates it in place.</summary>
    public float[] Parameters { get; }

    /// <summary>Number of trained values.</summary>
    public int ParameterCount => Parameters.Length;

    /// <summary>Where X starts in <see cref="Parameters"/> (always 0).</summary>
    public int BasisOffset => 0;

    /// <summary>Where b starts in <see cref="Parameters"/>.</summary>
    public int BiasOffset => Width * BasisSize;

    /// <summary>Where ã starts in <see cref="Parameters"/>.</summary>
    public int CoefficientsOffset => BiasOffset + Width;

    /// <summary>Where θ̃ starts in <see cref="Parameters"/>.</summary>
    public int AnglesOffset => CoefficientsOffset + (Length * BasisSize);

    /// <summary>The number of trained values of a module: D·K + D + L·(K + 2).</summary>
    public static long CountParameters(int width, int basisSize, int length) =>
        ((long)width * basisSize) + width + ((long)length * (basisSize + 2));

    /// <summary>
    /// A new module drawn from <paramref name="generator"/> in the order PyTorch draws the released code's
    /// <c>ProjX</c> (<c>orthogonal(nn.Linear(K, D))</c> and its coefficient/angle parameter): the Linear weight W₀
    /// ~ U(±1/√K) <c>[D, K]</c>, the bias ~ U(±1/√K) <c>[D]</c>, the orthogonal completion N ~ randn(D, D − K),
    /// then ã = (rand(L, K)·2 − 1)·1 and θ̃ = (rand(L, 2)·2 − 1)·π. With a generator seeded as
    /// <c>torch.manual_seed</c> the values equal PyTorch's.
    /// </summary>
    public static TokenModule Create(int width, int basisSize, int length, bool rotation, TorchGenerator generator)
    {
        ArgumentNullException.ThrowIfNull(generator);
        Check(width, basisSize, length);
        // nn.Linear's reset_parameters: kaiming_uniform_(a = √5) for the weight, U(±1/√fan_in) for the bias, in double as PyTorch computes the bounds.
        var gain = Math.Sqrt(2.0 / (1 + (Math.Sqrt(5) * Math.Sqrt(5))));
        var weightBound = Math.Sqrt(3.0) * (gain / Math.Sqrt(basisSize));
        var biasBound = 1 / Math.Sqrt(basisSize);
        var start = Uniform(generator, width * basisSize, weightBound);
        var bias = Uniform(generator, width, biasBound);
        var completion = generator.Randn(width * (width - basisSize));
        var basis = HouseholderBasis.Initialize(start, completion, width, basisSize);
        var coefficients = generator.Rand(length * basisSize);
        var angles = generator.Rand(length * 2);
        for (var i = 0; i < coefficients.Length; i++)
        {
            coefficients[i] = ((coefficients[i] * 2f) - 1f) * CoefficientBound;
        }

        for (var i = 0; i < angles.Length; i++)
        {
            angles[i] = ((angles[i] * 2f) - 1f) * MathF.PI;
        }

        float[] parameters = [.. HouseholderBasis.InitialOriginal(width, basisSize), .. bias, .. coefficients, .. angles];
        return FromState(parameters, basis.Base, width, basisSize, length, rotation);
    }

    /// <summary>Restores a module from its <see cref="Parameters"/> and its basis buffer B (<c>[D, D]</c> row-major).</summary>
    /// <exception cref="ArgumentException">Wrong lengths, non-finite values or a non-orthogonal B.</exception>
    public static TokenModule FromState(float[] parameters, float[] basisBuffer, int width, int basisSize, int length, bool rotation)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        Check(width, basisSize, length);
        if (parameters.Length != CountParameters(width, basisSize, length))
        {
            throw new ArgumentException($"A module with D = {width}, K = {basisSize}, L = {length} has {CountParameters(width, basisSize, length)} parameters; got {parameters.Length}.", nameof(parameters));
        }

        if (!FloatTensor.AllFinite(parameters))
        {
            throw new ArgumentException("The token module's parameters hold non-finite values.", nameof(parameters));
        }

        var basis = HouseholderBasis.FromBuffer(basisBuffer, width, basisSize);
        return new TokenModule(basis, length, rotation, parameters);
    }

    /// <summary>The tokens <c>[L, D]</c> for the current parameters.</summary>
    public FloatTensor Tokens() => Forward().Tokens;

    /// <summary>max |WᵀW − I| of the basis for the current parameters.</summary>
    public double OrthonormalityError() => Basis.Forward(Parameters.AsSpan(0, Width * BasisSize)).OrthonormalityError();

    /// <summary>The tokens for the current parameters, with what the derivative needs.</summary>
    public TokenForward Forward() => Forward(Parameters);

    /// <summary>The tokens for the parameter values <paramref name="parameters"/> (same layout as <see cref="Parameters"/>; e.g. a perturbed copy).</summary>
    public TokenForward Forward(ReadOnlySpan<float> parameters)
    {
        if (parameters.Length != Parameters.Length)
        {
            throw new ArgumentException($"Expected {Parameters.Length} parameter values; got {parameters.Length}.", nameof(parameters));
        }

        int d = Width, k = BasisSize;
        var basis = Basis.Forward(parameters[..(d * k)]);
        var bias = parameters.Slice(BiasOffset, d);
        var coefficients = new double[Length * k];
        var angles = new double[Length * 2];
        var beforeRotation = new double[Length * d];
        var afterFirst = new double[Length * d];
        var output = new double[Length * d];
        for (var i = 0; i < Length; i++)
        {
            var pre = beforeRotation.AsSpan(i * d, d);
            for (var r = 0; r < d; r++)
            {
                pre[r] = bias[r];
            }

            for (var c = 0; c < k; c++)
            {
                var a = Math.Clamp(parameters[CoefficientsOffset + (i * k) + c], -CoefficientBound, CoefficientBound);
                coefficients[(i * k) + c] = a;
                TensorPrimitives.MultiplyAdd(basis.Column(c), a, pre, pre);
            }

            var token = output.AsSpan(i * d, d);
            pre.CopyTo(token);
            if (Rotation)
            {
                angles[2 * i] = Math.Clamp(parameters[AnglesOffset + (2 * i)], -AngleBound, AngleBound);
                angles[(2 * i) + 1] = Math.Clamp(parameters[AnglesOffset + (2 * i) + 1], -AngleBound, AngleBound);
                PairwiseRotation.Apply(token, angles[2 * i], angles[(2 * i) + 1], i, afterFirst.AsSpan(i * d, d));
            }
        }

        var tokens = new float[Length * d];
        for (var i = 0; i < tokens.Length; i++)
        {
            tokens[i] = (float)output[i];
        }

        return new TokenForward(basis, coefficients, angles, afterFirst, output, new FloatTensor(tokens, Length, d));
    }

    /// <summary>
    /// Adds to <paramref name="gradient"/> (same layout as <see cref="Parameters"/>) the gradient of a loss whose gradient
    /// with respect to the tokens is <paramref name="tokenGradient"/> (<c>[L, D]</c>), for the parameters <paramref name="forward"/>
    /// was computed with (<see cref="Parameters"/> unless given).
    /// </summary>
    public void Backward(TokenForward forward, ReadOnlySpan<float> tokenGradient, Span<float> gradient) =>
        Backward(forward, tokenGradient, gradient, Parameters);

    /// <summary>As <see cref="Backward(TokenForward, ReadOnlySpan{float}, Span{float})"/> for explicit parameter values.</summary>
    public void Backward(TokenForward forward, ReadOnlySpan<float> tokenGradient, Span<float> gradient, ReadOnlySpan<float> parameters)
    {
        ArgumentNullException.ThrowIfNull(forward);
        int d = Width, k = BasisSize;
        if (tokenGradient.Length != Length * d || gradient.Length != Parameters.Length || parameters.Length != Parameters.Length)
        {
            throw new ArgumentException($"Token gradients are [{Length}, {d}] and parameter gradients have {Parameters.Length} values.");
        }

        var basisGradient = new double[k * d];
        var biasGradient = new double[d];
        var g = new double[d];
        for (var i = 0; i < Length; i++)
        {
            for (var r = 0; r < d; r++)
            {
                g[r] = tokenGradient[(i * d) + r];
            }

            if (Rotation)
            {
                var (d0, d1) = PairwiseRotation.Backward(g, forward.AfterFirst.AsSpan(i * d, d), forward.Output.AsSpan(i * d, d), forward.Angles[2 * i], forward.Angles[(2 * i) + 1], i);
                gradient[AnglesOffset + (2 * i)] += (float)Clamped(parameters[AnglesOffset + (2 * i)], AngleBound, d0);
                gradient[AnglesOffset + (2 * i) + 1] += (float)Clamped(parameters[AnglesOffset + (2 * i) + 1], AngleBound, d1);
            }

            TensorPrimitives.Add(biasGradient, g, biasGradient);
            for (var c = 0; c < k; c++)
            {
                var dA = TensorPrimitives.Dot(forward.Basis.Column(c), g);
                gradient[CoefficientsOffset + (i * k) + c] += (float)Clamped(parameters[CoefficientsOffset + (i * k) + c], CoefficientBound, dA);
                TensorPrimitives.MultiplyAdd(g, forward.Coefficients[(i * k) + c], basisGradient.AsSpan(c * d, d), basisGradient.AsSpan(c * d, d));
            }
        }

        for (var r = 0; r < d; r++)
        {
            gradient[BiasOffset + r] += (float)biasGradient[r];
        }

        var originalGradient = new float[d * k];
        Basis.Backward(forward.Basis, basisGradient, originalGradient);
        TensorPrimitives.Add(gradient[..(d * k)], originalGradient, gradient[..(d * k)]);
    }

    // PyTorch's clamp passes the gradient where lower ≤ value ≤ upper (bounds included) and blocks it outside.
    private static double Clamped(float raw, float bound, double gradient) => raw >= -bound && raw <= bound ? gradient : 0;

    // torch's uniform_(from, to) on float32: the bounds rounded to float, the low 24 bits of one 32-bit draw scaled by
    // 2⁻²⁴ (exactly what Rand gives), then x·(to − from) + from evaluated in double and rounded (checked against torch).
    private static float[] Uniform(TorchGenerator generator, int count, double bound)
    {
        var values = generator.Rand(count);
        double from = (float)-bound, to = (float)bound;
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)((values[i] * (to - from)) + from);
        }

        return values;
    }

    private static void Check(int width, int basisSize, int length)
    {
        if (width < 2 || width % 2 != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(width), width, "The text width D must be even (the rotation pairs coordinates).");
        }

        if (basisSize < 1 || basisSize > width)
        {
            throw new ArgumentOutOfRangeException(nameof(basisSize), basisSize, $"The basis size K must be between 1 and the text width D = {width}.");
        }

        if (length < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The number of tokens must be ≥ 0.");
        }
    }
}

/// <summary>One evaluation of a <see cref="TokenModule"/>: the tokens and what the derivative needs.</summary>
public sealed class TokenForward
{
    internal TokenForward(HouseholderForward basis, double[] coefficients, double[] angles, double[] afterFirst, double[] output, FloatTensor tokens)
    {
        Basis = basis;
        Coefficients = coefficients;
        Angles = angles;
        AfterFirst = afterFirst;
        Output = output;
        Tokens = tokens;
    }

    /// <summary>The tokens <c>[L, D]</c>.</summary>
    public FloatTensor Tokens { get; }

    /// <summary>The basis W of this evaluation.</summary>
    public HouseholderForward Basis { get; }

    internal double[] Coefficients { get; }

    internal double[] Angles { get; }

    internal double[] AfterFirst { get; }

    internal double[] Output { get; }
}
