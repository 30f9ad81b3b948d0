using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace OrtDiffusion.Evaluation;

/// <summary>The Fréchet distance of two Gaussians and its parts.</summary>
/// <param name="Distance">d² = ‖μ₁ − μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr (Σ₁Σ₂)^{1/2}.</param>
/// <param name="MeanTerm">‖μ₁ − μ₂‖².</param>
/// <param name="TraceSqrtProduct">Tr (Σ₁Σ₂)^{1/2}.</param>
/// <param name="Offset">ε added to both diagonals when the plain computation failed (pytorch-fid's fallback); 0 normally.</param>
public readonly record struct FrechetResult(double Distance, double MeanTerm, double TraceSqrtProduct, double Offset);

/// <summary>
/// The Fréchet distance between Gaussians, FID's formula, computed so that it stays accurate for singular
/// covariances (fewer images than feature dimensions):
/// <list type="number">
/// <item>A = Σ₁^{1/2} from the symmetric eigendecomposition Σ₁ = VΛVᵀ, A = V·diag(√max(λ, 0))·Vᵀ;</item>
/// <item>M = A·Σ₂·A is symmetric positive semi-definite and has the eigenvalues of Σ₁Σ₂ (AB and BA share them),
/// so Tr (Σ₁Σ₂)^{1/2} = Σ √max(μᵢ(M), 0) from a second symmetric eigendecomposition.</item>
/// </list>
/// Both decompositions are of symmetric matrices (inputs are symmetrised first), so no complex arithmetic or
/// non-symmetric square root is needed — unlike pytorch-fid's <c>scipy.linalg.sqrtm(Σ₁Σ₂)</c>, which is what it
/// stabilises with ε·I when the result is not finite. The same fallback exists here (ε = 1e-6 on both diagonals,
/// reported in <see cref="FrechetResult.Offset"/>) for a decomposition that does not converge. Eigenvalues below 0
/// from rounding are clamped to 0. Σ₁'s root is computed once per <see cref="FrechetDistance"/> instance, so
/// comparing many methods with one reference costs one decomposition each.
/// </summary>
public sealed class FrechetDistance
{
    /// <summary>pytorch-fid's ε for its fallback.</summary>
    public const double FallbackOffset = 1e-6;

    private readonly GaussianStatistics reference;
    private readonly Matrix<double>? referenceRoot;

    /// <summary>Prepares distances to <paramref name="reference"/> (its covariance root is computed here).</summary>
    public FrechetDistance(GaussianStatistics reference)
    {
        this.reference = reference ?? throw new ArgumentNullException(nameof(reference));
        referenceRoot = TrySqrt(Symmetric(reference.Covariance, reference.Dimension, 0));
    }

    /// <summary>The reference statistics.</summary>
    public GaussianStatistics Reference => reference;

    /// <summary>The distance from the reference to <paramref name="other"/>.</summary>
    /// <exception cref="ArgumentException">The dimensions differ.</exception>
    public FrechetResult To(GaussianStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Dimension != reference.Dimension)
        {
            throw new ArgumentException($"The statistics have {other.Dimension} features but the reference has {reference.Dimension} (made with a different FID network?).", nameof(other));
        }

        var meanTerm = 0.0;
        for (var i = 0; i < other.Dimension; i++)
        {
            var d = reference.Mean[i] - other.Mean[i];
            meanTerm += d * d;
        }

        var sigma1 = Symmetric(reference.Covariance, reference.Dimension, 0);
        var sigma2 = Symmetric(other.Covariance, other.Dimension, 0);
        var offset = 0.0;
        var traceSqrt = referenceRoot is null ? double.NaN : TraceSqrt(referenceRoot, sigma2);
        if (!double.IsFinite(traceSqrt))
        {
            offset = FallbackOffset;
            sigma1 = Symmetric(reference.Covariance, reference.Dimension, offset);
            sigma2 = Symmetric(other.Covariance, other.Dimension, offset);
            var root = TrySqrt(sigma1) ?? throw new InvalidOperationException("The covariance square root did not converge even with ε·I added; the statistics are degenerate.");
            traceSqrt = TraceSqrt(root, sigma2);
            if (!double.IsFinite(traceSqrt))
            {
                throw new InvalidOperationException("Tr (Σ₁Σ₂)^{1/2} is not finite even with ε·I added; the statistics are degenerate.");
            }
        }

        var distance = meanTerm + sigma1.Trace() + sigma2.Trace() - (2 * traceSqrt);
        return new FrechetResult(distance, meanTerm, traceSqrt, offset);
    }

    /// <summary>The Fréchet distance between two Gaussians.</summary>
    public static FrechetResult Compute(GaussianStatistics first, GaussianStatistics second) => new FrechetDistance(first).To(second);

    // Tr (Σ₁Σ₂)^{1/2} = Σ √μᵢ(AΣ₂A) with A = Σ₁^{1/2}.
    private static double TraceSqrt(Matrix<double> root, Matrix<double> sigma2)
    {
        var product = root * sigma2 * root;
        product = (product + product.Transpose()) * 0.5;
        var eigenvalues = EigenvaluesOrNull(product);
        return eigenvalues is null ? double.NaN : eigenvalues.Sum(l => Math.Sqrt(Math.Max(l, 0)));
    }

    private static Matrix<double>? TrySqrt(Matrix<double> symmetric)
    {
        try
        {
            var evd = symmetric.Evd(Symmetricity.Symmetric);
            var values = evd.EigenValues.Select(v => v.Real).ToArray();
            if (!values.All(double.IsFinite))
            {
                return null;
            }

            var vectors = evd.EigenVectors;
            var scaled = vectors.Clone();
            for (var j = 0; j < values.Length; j++)
            {
                scaled.SetColumn(j, vectors.Column(j) * Math.Sqrt(Math.Max(values[j], 0)));
            }

            return scaled * vectors.Transpose();
        }
        catch (MathNet.Numerics.NonConvergenceException)
        {
            return null;
        }
    }

    private static double[]? EigenvaluesOrNull(Matrix<double> symmetric)
    {
        try
        {
            var values = symmetric.Evd(Symmetricity.Symmetric).EigenValues.Select(v => v.Real).ToArray();
            return values.All(double.IsFinite) ? values : null;
        }
        catch (MathNet.Numerics.NonConvergenceException)
        {
            return null;
        }
    }

    // (Σ + Σᵀ)/2 + offset·I as a MathNet matrix (row-major input; the result is symmetric, so the order does not matter).
    private static Matrix<double> Symmetric(double[] rowMajor, int n, double offset)
    {
        var m = Matrix<double>.Build.Dense(n, n, (i, j) => 0.5 * (rowMajor[(i * n) + j] + rowMajor[(j * n) + i]));
        if (offset != 0)
        {
            for (var i = 0; i < n; i++)
            {
                m[i, i] += offset;
            }
        }

        return m;
    }
}
