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
/// reported in <see cref="FrechetResult.Offset"/>) for a decomposition that does not converge.
/// Eigenvalues at rounding level are set to 0 — for Σ₁ those ≤ D·ε·λ_max(Σ₁), for M those ≤ D·ε·λ_max(Σ₁)·‖Σ₂‖_F
/// (ε = 2⁻⁵², the bounds of a backward-stable decomposition, as numpy's matrix_rank uses) — because a square root
/// turns rounding noise of 1e-16 into 1e-8: without the cut, every null direction of a singular covariance would
/// add about √(ε·λ) to the trace. Σ₁'s root is computed once per <see cref="FrechetDistance"/> instance, so
/// comparing many methods with one reference costs one decomposition each.
/// </summary>
public sealed class FrechetDistance
{
    /// <summary>pytorch-fid's ε for its fallback.</summary>
    public const double FallbackOffset = 1e-6;

    private readonly GaussianStatistics reference;
    private readonly Matrix<double>? referenceRoot;
    private readonly double referenceLargest;

    /// <summary>Prepares distances to <paramref name="reference"/> (its covariance root is computed here).</summary>
    public FrechetDistance(GaussianStatistics reference)
    {
        this.reference = reference ?? throw new ArgumentNullException(nameof(reference));
        (referenceRoot, referenceLargest) = TrySqrt(Symmetric(reference.Covariance, reference.Dimension, 0));
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
        var traceSqrt = referenceRoot is null ? double.NaN : TraceSqrt(referenceRoot, referenceLargest, sigma2);
        if (!double.IsFinite(traceSqrt))
        {
            offset = FallbackOffset;
            sigma1 = Symmetric(reference.Covariance, reference.Dimension, offset);
            sigma2 = Symmetric(other.Covariance, other.Dimension, offset);
            var (root, largest) = TrySqrt(sigma1);
            traceSqrt = root is null ? double.NaN : TraceSqrt(root, largest, sigma2);
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

    // Tr (Σ₁Σ₂)^{1/2} = Σ √μᵢ(AΣ₂A) with A = Σ₁^{1/2}; μ at rounding level (see the class remarks) count as 0.
    private static double TraceSqrt(Matrix<double> root, double largest1, Matrix<double> sigma2)
    {
        var product = root * sigma2 * root;
        product = (product + product.Transpose()) * 0.5;
        var eigenvalues = EigenvaluesOrNull(product);
        if (eigenvalues is null)
        {
            return double.NaN;
        }

        // ‖Σ₂‖_F bounds λ_max(Σ₂) from above at O(D²) cost instead of another decomposition.
        var floor = RoundingFloor(root.RowCount, largest1 * sigma2.FrobeniusNorm());
        return eigenvalues.Sum(l => l > floor ? Math.Sqrt(l) : 0);
    }

    // Σ^{1/2} = V·diag(√λ)·Vᵀ with λ at rounding level set to 0, and λ_max; (null, NaN) when the decomposition fails.
    private static (Matrix<double>? Root, double Largest) TrySqrt(Matrix<double> symmetric)
    {
        try
        {
            var evd = symmetric.Evd(Symmetricity.Symmetric);
            var values = evd.EigenValues.Select(v => v.Real).ToArray();
            if (!values.All(double.IsFinite))
            {
                return (null, double.NaN);
            }

            var largest = Math.Max(values.Max(), 0);
            var floor = RoundingFloor(values.Length, largest);
            var vectors = evd.EigenVectors;
            var scaled = vectors.Clone();
            for (var j = 0; j < values.Length; j++)
            {
                scaled.SetColumn(j, vectors.Column(j) * (values[j] > floor ? Math.Sqrt(values[j]) : 0));
            }

            return (scaled * vectors.Transpose(), largest);
        }
        catch (MathNet.Numerics.NonConvergenceException)
        {
            return (null, double.NaN);
        }
    }

    // D·ε·scale: below it an eigenvalue of a D×D matrix of norm `scale` is indistinguishable from 0.
    private static double RoundingFloor(int dimension, double scale) => dimension * Math.ScaleB(1.0, -52) * scale;

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
