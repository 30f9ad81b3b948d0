using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;
using OrtDiffusion.Evaluation;

namespace OrtDiffusion.Tests.Evaluation;

/// <summary>The FID's own linear algebra checked against MathNet.Numerics (an independent implementation) and by reconstruction.</summary>
public sealed class LinearAlgebraTests
{
    private static double[] RowMajor(Matrix<double> m) => m.ToRowMajorArray();

    private static Matrix<double> RandomSymmetric(int n, int seed)
    {
        var rng = new Random(seed);
        var a = Matrix<double>.Build.Dense(n, n, (_, _) => rng.NextDouble() - 0.5);
        return a + a.Transpose();
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    [InlineData(3, 3)]
    [InlineData(50, 4)]
    [InlineData(200, 5)]
    public void Eigenvalues_equal_mathnets(int n, int seed)
    {
        var a = RandomSymmetric(n, seed);
        var expected = a.Evd(Symmetricity.Symmetric).EigenValues.Select(v => v.Real).Order().ToArray();
        var got = SymmetricEigenvalues.Compute(RowMajor(a), n);
        var scale = expected.Max(Math.Abs);
        Assert.Equal(n, got.Length);
        Assert.All(expected.Zip(got), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-12 * scale, $"{p.Second:R} vs MathNet {p.First:R}"));
    }

    [Fact]
    public void Repeated_and_zero_eigenvalues_are_found()
    {
        // Q·diag(3, 3, 3, 0, 0, −1)·Qᵀ for a random orthogonal Q: the eigenvalues are known by construction.
        var rng = new Random(11);
        var q = Matrix<double>.Build.Dense(6, 6, (_, _) => rng.NextDouble()).QR().Q;
        double[] diagonal = [3, 3, 3, 0, 0, -1];
        var a = q * Matrix<double>.Build.DenseOfDiagonalArray(diagonal) * q.Transpose();
        var got = SymmetricEigenvalues.Compute(RowMajor(a), 6);
        Assert.All(diagonal.Order().Zip(got), p => Assert.Equal(p.First, p.Second, 1e-13));
        Assert.Equal([0.0, 0.0], SymmetricEigenvalues.Compute(new double[4], 2));
    }

    [Fact]
    public void A_pivoted_cholesky_factor_rebuilds_a_singular_matrix_at_its_rank()
    {
        var rng = new Random(5);
        var b = Matrix<double>.Build.Dense(12, 5, (_, _) => rng.NextDouble() - 0.5);
        var a = b * b.Transpose(); // rank 5
        var (factor, permutation, rank) = PivotedCholesky.Factor(RowMajor(a), 12);
        Assert.Equal(5, rank);
        var l = Matrix<double>.Build.Dense(12, rank, (i, j) => factor[(i * rank) + j]);
        var rebuilt = l * l.Transpose();
        for (var i = 0; i < 12; i++)
        {
            for (var j = 0; j < 12; j++)
            {
                Assert.Equal(a[permutation[i], permutation[j]], rebuilt[i, j], 1e-13);
            }
        }

        Assert.Equal(Enumerable.Range(0, 12), permutation.Order());
        var full = a + Matrix<double>.Build.DenseIdentity(12);
        Assert.Equal(12, PivotedCholesky.Factor(RowMajor(full), 12).Rank);
        Assert.Equal(0, PivotedCholesky.Factor(new double[9], 3).Rank);
    }

    [Fact]
    public void Products_equal_mathnets()
    {
        var rng = new Random(9);
        var a = Matrix<double>.Build.Dense(70, 130, (_, _) => rng.NextDouble() - 0.5);
        var b = Matrix<double>.Build.Dense(130, 40, (_, _) => rng.NextDouble() - 0.5);
        var expected = RowMajor(a * b);
        var got = DenseProducts.Multiply(RowMajor(a), 70, 130, RowMajor(b), 40);
        Assert.All(expected.Zip(got), p => Assert.Equal(p.First, p.Second, 1e-12));
        Assert.Equal(RowMajor(a.Transpose()), DenseProducts.Transpose(RowMajor(a), 70, 130));
    }
}
