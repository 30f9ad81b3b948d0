using OrtDiffusion.Ipgo;
using OrtDiffusion.Randomness;
using static OrtDiffusion.Tests.Ipgo.IpgoTorchReference;

namespace OrtDiffusion.Tests.Ipgo;

/// <summary>
/// The token module's parameterisation and its hand-written derivatives: against PyTorch (values produced by
/// Reference/ipgo_reference.py with autograd) and against central finite differences of our own forward in double.
/// </summary>
public sealed class TokenModuleTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Initialisation_draws_what_pytorch_draws_for_the_same_seed()
    {
        // torch.manual_seed(7); ProjX-like prefix then suffix (orthogonal(nn.Linear(K, D)) + the coefficient/angle parameter).
        var generator = new TorchGenerator(Seed);
        var prefix = TokenModule.Create(D, K, L, rotation: true, generator);
        var suffix = TokenModule.Create(D, K, L, rotation: true, generator);
        foreach (var (module, weight, @base, original, bias, raw) in new[]
        {
            (prefix, InitPrefixWeight, InitPrefixBase, InitPrefixOriginal, InitPrefixBias, InitPrefixRaw),
            (suffix, InitSuffixWeight, InitSuffixBase, InitSuffixOriginal, InitSuffixBias, InitSuffixRaw),
        })
        {
            // Uniform draws are bit-exact; B and W come from a QR (LAPACK in float32 there, MathNet in double here).
            Assert.Equal(original, module.Parameters[..(D * K)]);
            Assert.Equal(bias, module.Parameters.AsSpan(module.BiasOffset, D).ToArray());
            Assert.Equal(raw, TorchRawLayout(module));
            AssertClose(@base, module.Basis.Base, 2e-6, "B");
            AssertClose(weight, module.Forward().Basis.ToRowMajor(), 2e-6, "W");
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tokens_and_gradients_equal_pytorch_autograd(bool rotation)
    {
        var module = TokenModule.FromState(OurLayout(TokenOriginal, TokenBias, TokenRaw), TokenBase, D, K, L, rotation);
        var forward = module.Forward();
        var gradient = new float[module.ParameterCount];
        module.Backward(forward, TokenCotangent, gradient);

        var (weight, tokens, gOriginal, gBias, gRaw) = rotation
            ? (TokenRotatedWeight, TokenRotatedTokens, TokenRotatedGradOriginal, TokenRotatedGradBias, TokenRotatedGradRaw)
            : (TokenPlainWeight, TokenPlainTokens, TokenPlainGradOriginal, TokenPlainGradBias, TokenPlainGradRaw);
        AssertClose(weight, forward.Basis.ToRowMajor(), 1e-6, "W");
        AssertClose(tokens, forward.Tokens.Data, 1e-5, "tokens");
        AssertClose(OurLayout(gOriginal, gBias, gRaw), gradient, 1e-5, "gradient");

        // The state has a coefficient (1.5) and an angle (3.5) beyond their bounds: PyTorch and we give them zero.
        Assert.Equal(0f, gradient[module.CoefficientsOffset]);
        Assert.Equal(0f, gradient[module.AnglesOffset]);
        Assert.NotEqual(0f, gradient[module.CoefficientsOffset + K + 2]);
        Assert.Equal(rotation, gradient[module.AnglesOffset + 3] != 0f);
    }

    [Fact]
    public void Householder_basis_gradient_matches_central_differences()
    {
        // A generic X (diagonal −1, as training keeps it) and a random B; loss = Σ W ∘ R.
        var rng = new Random(3);
        const int d = 10, k = 4;
        var basis = HouseholderBasis.Initialize(Randoms(rng, d * k, 1), Randoms(rng, d * (d - k), 1), d, k);
        var x = Randoms(rng, d * k, 0.4);
        for (var j = 0; j < k; j++)
        {
            x[(j * k) + j] = -1f;
        }

        var r = Randoms(rng, d * k, 1).Select(v => (double)v).ToArray();
        double Loss(float[] xs) => basis.Forward(xs).Columns.Zip(r, (a, b) => a * b).Sum();
        var analytic = new float[d * k];
        basis.Backward(basis.Forward(x), r, analytic);
        var (worst, scale) = CompareWithDifferences(x, Loss, analytic, 1e-3f, skip: i => i / k == i % k);
        output.WriteLine($"Householder: worst |analytic − numeric| = {worst:E2} (gradient scale {scale:E2})");
        Assert.True(worst < 1e-5 * Math.Max(1, scale), $"worst error {worst:E2}");

        // Only the strictly lower triangle is a parameter: the diagonal (signs) and the upper triangle get zero.
        for (var i = 0; i < d; i++)
        {
            for (var j = i; j < k; j++)
            {
                Assert.Equal(0f, analytic[(i * k) + j]);
            }
        }

        // B is stored in float32, so W's columns are orthonormal to float precision.
        Assert.True(basis.Forward(x).OrthonormalityError() < 1e-6);
    }

    [Fact]
    public void Rotation_gradient_matches_central_differences_and_preserves_the_norm()
    {
        var rng = new Random(4);
        const int d = 12;
        var v = Randoms(rng, d, 1).Select(f => (double)f).ToArray();
        var r = Randoms(rng, d, 1).Select(f => (double)f).ToArray();
        const double t0 = 0.7, t1 = -2.1;
        const int start = 5;
        double Loss(double[] input, double a, double b)
        {
            var copy = (double[])input.Clone();
            PairwiseRotation.Apply(copy, a, b, start, []);
            return copy.Zip(r, (x, y) => x * y).Sum();
        }

        var rotated = (double[])v.Clone();
        var middle = new double[d];
        PairwiseRotation.Apply(rotated, t0, t1, start, middle);
        Assert.Equal(Math.Sqrt(v.Sum(x => x * x)), Math.Sqrt(rotated.Sum(x => x * x)), 12);

        var g = (double[])r.Clone();
        var (d0, d1) = PairwiseRotation.Backward(g, middle, rotated, t0, t1, start);
        const double h = 1e-6;
        Assert.Equal((Loss(v, t0 + h, t1) - Loss(v, t0 - h, t1)) / (2 * h), d0, 8);
        Assert.Equal((Loss(v, t0, t1 + h) - Loss(v, t0, t1 - h)) / (2 * h), d1, 8);
        for (var i = 0; i < d; i++)
        {
            var plus = (double[])v.Clone();
            var minus = (double[])v.Clone();
            plus[i] += h;
            minus[i] -= h;
            Assert.Equal((Loss(plus, t0, t1) - Loss(minus, t0, t1)) / (2 * h), g[i], 8);
        }

        // The pairs of NOTES.md, by hand at D = 4, start 1: θ₀ rotates (1,2),(3,0); θ₁ then rotates (2,3),(0,1).
        var e = new double[] { 1, 2, 3, 4 };
        PairwiseRotation.Apply(e, Math.PI / 2, 0, 1, []);
        Assert.Equal(new[] { 4.0, -3, 2, -1 }, e.Select(x => Math.Round(x, 12)));
        PairwiseRotation.Apply(e, 0, Math.PI / 2, 1, []);
        Assert.Equal(new[] { 3.0, 4, 1, 2 }, e.Select(x => Math.Round(x, 12)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Module_gradient_matches_central_differences_including_the_clamps(bool rotation)
    {
        var module = TokenModule.FromState(OurLayout(TokenOriginal, TokenBias, TokenRaw), TokenBase, D, K, L, rotation);
        var r = TokenCotangent.Select(v => (double)v).ToArray();
        double Loss(float[] p) => module.Forward(p).Output.Zip(r, (a, b) => a * b).Sum();
        var analytic = new float[module.ParameterCount];
        module.Backward(module.Forward(), TokenCotangent, analytic);
        var (worst, scale) = CompareWithDifferences(module.Parameters, Loss, analytic, 1e-3f, skip: i => i < D * K && i / K == i % K);
        output.WriteLine($"module (rotation {rotation}): worst |analytic − numeric| = {worst:E2} (gradient scale {scale:E2})");
        Assert.True(worst < 1e-5 * Math.Max(1, scale), $"worst error {worst:E2}");

        // Clamp: the coefficient at 1.5 and the angle at 3.5 are flat (the difference quotient is exactly 0 too).
        Assert.Equal(0f, analytic[module.CoefficientsOffset]);
        Assert.Equal(0.0, Quotient(module.Parameters, Loss, module.CoefficientsOffset, 1e-3f));
        Assert.Equal(0.0, Quotient(module.Parameters, Loss, module.AnglesOffset, 1e-3f));
        Assert.All(module.Forward().Tokens.Data, v => Assert.True(float.IsFinite(v)));
    }

    [Fact]
    public void Clamps_bound_the_values_used()
    {
        // Coefficients beyond ±1 act as ±1: moving one further out changes nothing.
        var module = TokenModule.FromState(OurLayout(TokenOriginal, TokenBias, TokenRaw), TokenBase, D, K, L, rotation: true);
        var before = module.Tokens().Data;
        var moved = (float[])module.Parameters.Clone();
        moved[module.CoefficientsOffset] = 40f;  // was 1.5
        moved[module.AnglesOffset] = 9f;         // was 3.5
        Assert.Equal(before, module.Forward(moved).Tokens.Data);
        Assert.All(module.Forward(moved).Coefficients, a => Assert.InRange(a, -1, 1));
        Assert.All(module.Forward(moved).Angles, a => Assert.InRange(a, -MathF.PI, MathF.PI));
    }

    [Fact]
    public void Qr_factor_is_orthogonal_and_makes_r_upper_triangular_with_a_positive_diagonal()
    {
        // Checked by definition: QᵀQ = I and R = QᵀA is upper triangular with R_jj > 0 (which makes Q unique).
        var rng = new Random(8);
        const int n = 9;
        var a = Enumerable.Range(0, n * n).Select(_ => (rng.NextDouble() * 2) - 1).ToArray(); // column-major
        var q = QrDecomposition.PositiveQ((double[])a.Clone(), n);
        double Dot(double[] x, int i, double[] y, int j) => Enumerable.Range(0, n).Sum(r => x[(i * n) + r] * y[(j * n) + r]);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                Assert.Equal(i == j ? 1 : 0, Dot(q, i, q, j), 12);
                var rij = Dot(q, i, a, j);
                if (i > j)
                {
                    Assert.Equal(0, rij, 12);
                }
                else if (i == j)
                {
                    Assert.True(rij > 0);
                }
            }
        }

        Assert.Throws<ArgumentException>(() => QrDecomposition.PositiveQ(new double[4], 2));
    }

    [Fact]
    public void Parameter_count_at_real_size_is_the_papers()
    {
        // 2 × (768·300 + 768 + 10·(300 + 2)) = 468 376 (IPGO paper, Table 3).
        Assert.Equal(234_188, TokenModule.CountParameters(768, 300, 10));
        var module = TokenModule.Create(768, 300, 10, rotation: true, new TorchGenerator(0));
        Assert.Equal(468_376, 2 * module.ParameterCount);
        Assert.True(module.OrthonormalityError() < 1e-5, $"max |WᵀW − I| = {module.OrthonormalityError():E2}");
        Assert.Equal([1, 10, 768], [1, .. module.Tokens().Shape]);
    }

    [Fact]
    public void Bad_shapes_are_refused_with_the_reason()
    {
        Assert.Contains("even", Assert.Throws<ArgumentOutOfRangeException>(() => TokenModule.Create(15, 4, 2, true, new TorchGenerator(0))).Message);
        Assert.Contains("between 1 and the text width", Assert.Throws<ArgumentOutOfRangeException>(() => TokenModule.Create(16, 17, 2, true, new TorchGenerator(0))).Message);
        Assert.Contains("parameters", Assert.Throws<ArgumentException>(() => TokenModule.FromState(new float[5], TokenBase, D, K, L, true)).Message);
        var notOrthogonal = (float[])TokenBase.Clone();
        notOrthogonal[0] += 0.1f;
        Assert.Contains("not orthogonal", Assert.Throws<ArgumentException>(() => TokenModule.FromState(OurLayout(TokenOriginal, TokenBias, TokenRaw), notOrthogonal, D, K, L, true)).Message);
    }

    // PyTorch keeps coefficients and angles in one [L, K + 2] parameter; we keep ã [L, K] then θ̃ [L, 2].
    internal static float[] OurLayout(float[] original, float[] bias, float[] raw)
    {
        var coefficients = Enumerable.Range(0, L).SelectMany(i => raw.Skip(i * (K + 2)).Take(K));
        var angles = Enumerable.Range(0, L).SelectMany(i => raw.Skip((i * (K + 2)) + K).Take(2));
        return [.. original, .. bias, .. coefficients, .. angles];
    }

    private static float[] TorchRawLayout(TokenModule m) =>
        [.. Enumerable.Range(0, L).SelectMany(i => m.Parameters.Skip(m.CoefficientsOffset + (i * K)).Take(K).Concat(m.Parameters.Skip(m.AnglesOffset + (2 * i)).Take(2)))];

    private static float[] Randoms(Random rng, int n, double scale) => [.. Enumerable.Range(0, n).Select(_ => (float)(((rng.NextDouble() * 2) - 1) * scale))];

    private static double Quotient(float[] p, Func<float[], double> loss, int index, float h)
    {
        var plus = (float[])p.Clone();
        var minus = (float[])p.Clone();
        plus[index] += h;
        minus[index] -= h;
        return (loss(plus) - loss(minus)) / ((double)plus[index] - minus[index]);
    }

    // Central differences at every coordinate (the step as actually represented in float32 is the denominator). The
    // diagonal of X is skipped: it only gives the column signs through trunc(), a step function (PyTorch's .int()),
    // whose gradient is zero, as the analytic one (asserted separately).
    private static (double Worst, double Scale) CompareWithDifferences(float[] p, Func<float[], double> loss, float[] analytic, float h, Func<int, bool> skip)
    {
        double worst = 0;
        for (var i = 0; i < p.Length; i++)
        {
            if (skip(i))
            {
                Assert.Equal(0f, analytic[i]);
                continue;
            }

            worst = Math.Max(worst, Math.Abs(Quotient(p, loss, i, h) - analytic[i]));
        }

        return (worst, analytic.Max(Math.Abs));
    }

    private static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])), $"{what}[{i}]: PyTorch {expected[i]}, ours {actual[i]}");
        }
    }
}
