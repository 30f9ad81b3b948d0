using MathNet.Numerics.LinearAlgebra;
using OrtDiffusion.Evaluation;
using Xunit.Abstractions;

namespace OrtDiffusion.Tests.Evaluation;

public sealed class FrechetDistanceTests(ITestOutputHelper output)
{
    private static GaussianStatistics Gaussian(double[] mean, Matrix<double> covariance) =>
        new(mean, [.. Enumerable.Range(0, mean.Length).SelectMany(i => Enumerable.Range(0, mean.Length).Select(j => covariance[i, j]))]);

    private static double Fid(GaussianStatistics a, GaussianStatistics b) => FrechetDistance.Compute(a, b).Distance;

    [Fact]
    public void Diagonal_covariances_give_the_closed_form()
    {
        // For diagonal Σ₁ = diag(a), Σ₂ = diag(b): Tr (Σ₁Σ₂)^½ = Σ √(aᵢbᵢ), so d² = ‖Δμ‖² + Σ (√aᵢ − √bᵢ)².
        double[] a = [1, 4, 0.25, 9, 2];
        double[] b = [4, 1, 1, 0.5, 2];
        double[] mu1 = [0, 1, 2, 3, 4];
        double[] mu2 = [1, 1, 0, 3, 5];
        var expected = mu1.Zip(mu2, (x, y) => (x - y) * (x - y)).Sum() + a.Zip(b, (x, y) => Math.Pow(Math.Sqrt(x) - Math.Sqrt(y), 2)).Sum();
        var result = FrechetDistance.Compute(Gaussian(mu1, Matrix<double>.Build.DenseOfDiagonalArray(a)), Gaussian(mu2, Matrix<double>.Build.DenseOfDiagonalArray(b)));
        Assert.Equal(expected, result.Distance, 12);
        Assert.Equal(a.Zip(b, (x, y) => Math.Sqrt(x * y)).Sum(), result.TraceSqrtProduct, 12);
        Assert.Equal(0, result.Offset);
    }

    [Fact]
    public void Commuting_covariances_give_the_closed_form()
    {
        // Σ₁ = Q D₁ Qᵀ, Σ₂ = Q D₂ Qᵀ share eigenvectors, so Σ₁Σ₂ = Q D₁D₂ Qᵀ and the diagonal formula holds in that basis.
        var rng = new Random(7);
        var q = Matrix<double>.Build.Dense(6, 6, (_, _) => rng.NextDouble() - 0.5).QR().Q;
        double[] d1 = [3, 0.5, 1, 2, 0.1, 5];
        double[] d2 = [1, 2, 0.3, 2, 4, 0.2];
        var s1 = q * Matrix<double>.Build.DenseOfDiagonalArray(d1) * q.Transpose();
        var s2 = q * Matrix<double>.Build.DenseOfDiagonalArray(d2) * q.Transpose();
        double[] mu1 = [0.5, -1, 2, 0, 0, 1];
        double[] mu2 = [0, 0, 0, 0, 1, 1];
        var expected = mu1.Zip(mu2, (x, y) => (x - y) * (x - y)).Sum() + d1.Zip(d2, (x, y) => Math.Pow(Math.Sqrt(x) - Math.Sqrt(y), 2)).Sum();
        Assert.Equal(expected, Fid(Gaussian(mu1, s1), Gaussian(mu2, s2)), 10);
    }

    [Fact]
    public void Rank_one_covariances_give_the_closed_form()
    {
        // Σ₁ = vvᵀ, Σ₂ = uuᵀ: Σ₁Σ₂ = (v·u) v uᵀ has the single non-zero eigenvalue (v·u)², so Tr (Σ₁Σ₂)^½ = |v·u| and
        // d² = ‖Δμ‖² + ‖v‖² + ‖u‖² − 2|v·u| — a singular case where sqrtm of the product is ill-conditioned.
        var v = Vector<double>.Build.DenseOfArray([1, 2, -1, 0.5]);
        var u = Vector<double>.Build.DenseOfArray([-0.5, 1, 3, 1]);
        double[] mu = [0, 0, 0, 0];
        var expected = (v * v) + (u * u) - (2 * Math.Abs(v * u));
        var result = FrechetDistance.Compute(Gaussian(mu, v.OuterProduct(v)), Gaussian(mu, u.OuterProduct(u)));
        Assert.Equal(expected, result.Distance, 10);
        Assert.Equal(Math.Abs(v * u), result.TraceSqrtProduct, 10);
    }

    [Fact]
    public void One_dimension_is_the_difference_of_means_and_of_standard_deviations()
    {
        // d² = (μ₁ − μ₂)² + σ₁² + σ₂² − 2σ₁σ₂ = (μ₁ − μ₂)² + (σ₁ − σ₂)².
        Assert.Equal(Math.Pow(3 - 1.5, 2) + Math.Pow(2 - 0.5, 2), Fid(new GaussianStatistics([3], [4]), new GaussianStatistics([1.5], [0.25])), 12);
    }

    [Fact]
    public void Identical_statistics_are_at_distance_zero_and_a_shift_adds_its_squared_length()
    {
        var s = FidFixtures.Statistics("wide", 1);
        var same = FrechetDistance.Compute(s, s);
        var trace = Enumerable.Range(0, s.Dimension).Sum(i => s.Covariance[(i * s.Dimension) + i]);
        Assert.True(Math.Abs(same.Distance) < 1e-9 * trace, $"d² of identical statistics is {same.Distance}");

        var delta = Enumerable.Range(0, s.Dimension).Select(i => Math.Sin(i)).ToArray();
        var shifted = new GaussianStatistics([.. s.Mean.Zip(delta, (m, d) => m + d)], s.Covariance);
        Assert.Equal(delta.Sum(d => d * d), FrechetDistance.Compute(s, shifted).Distance, 8);
    }

    [Fact]
    public void The_distance_is_symmetric()
    {
        var a = FidFixtures.Statistics("wide", 1);
        var b = FidFixtures.Statistics("wide", 2);
        var ab = FrechetDistance.Compute(a, b).Distance;
        Assert.Equal(ab, FrechetDistance.Compute(b, a).Distance, 1e-10 * ab);
    }

    [Theory]
    [InlineData("full_rank")]
    [InlineData("wide")]
    public void Full_rank_covariances_agree_with_pytorch_fids_scipy_formula(string name)
    {
        // Expected: make_fid_fixture.py, pytorch-fid's calculate_frechet_distance (scipy.linalg.sqrtm) on numpy's mu/sigma.
        var expected = FidFixtures.ScipyFid(name);
        var got = FrechetDistance.Compute(FidFixtures.Statistics(name, 1), FidFixtures.Statistics(name, 2)).Distance;
        output.WriteLine($"{name}: ours {got:R}, scipy {expected:R}, relative difference {Math.Abs(got - expected) / expected:E2}");
        Assert.True(Math.Abs(got - expected) <= 1e-11 * expected, $"{name}: ours {got:R}, scipy {expected:R}, relative difference {Math.Abs(got - expected) / expected:E2}");
    }

    [Theory]
    [InlineData("singular")]
    [InlineData("tiny_zoo_like")]
    [InlineData("full_rank")]
    [InlineData("wide")]
    public void Agrees_with_the_exact_svd_form_also_for_singular_covariances(string name)
    {
        // Expected: make_fid_fixture.py, Tr (Σ₁Σ₂)^½ as the sum of singular values of B₁B₂ᵀ (Σ = BᵀB), exact when n ≤ d;
        // pytorch-fid's sqrtm value differs from it there by up to 3e-8 relative (see fid_expected.json); ours by about 1e-15.
        var expected = FidFixtures.SvdFid(name);
        var got = FrechetDistance.Compute(FidFixtures.Statistics(name, 1), FidFixtures.Statistics(name, 2)).Distance;
        output.WriteLine($"{name}: ours {got:R}, svd {expected:R}, relative difference {Math.Abs(got - expected) / expected:E2}; pytorch-fid's sqrtm {FidFixtures.ScipyFid(name):R}");
        Assert.True(Math.Abs(got - expected) <= 1e-12 * expected, $"{name}: ours {got:R}, svd {expected:R}, relative difference {Math.Abs(got - expected) / expected:E2}");
    }

    [Fact]
    public void Bad_statistics_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new GaussianStatistics([0, 1], [1, 0, 0]));
        Assert.Contains("not finite", Assert.Throws<ArgumentException>(() => new GaussianStatistics([double.NaN], [1])).Message);
        var e = Assert.Throws<ArgumentException>(() => FrechetDistance.Compute(new GaussianStatistics([0], [1]), new GaussianStatistics([0, 0], [1, 0, 0, 1])));
        Assert.Contains("2 features but the reference has 1", e.Message);
    }
}
