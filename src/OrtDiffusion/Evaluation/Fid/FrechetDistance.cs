namespace OrtDiffusion.Evaluation;

/// <summary>The Fréchet distance of two Gaussians and its parts.</summary>
/// <param name="Distance">d² = ‖μ₁ − μ₂‖² + Tr Σ₁ + Tr Σ₂ − 2 Tr (Σ₁Σ₂)^{1/2}.</param>
/// <param name="MeanTerm">‖μ₁ − μ₂‖².</param>
/// <param name="TraceSqrtProduct">Tr (Σ₁Σ₂)^{1/2}.</param>
/// <param name="Offset">ε added to both diagonals when the plain computation failed (pytorch-fid's fallback); 0 normally.</param>
public readonly record struct FrechetResult(double Distance, double MeanTerm, double TraceSqrtProduct, double Offset);

/// <summary>
/// The Fréchet distance between Gaussians, FID's formula. Tr (Σ₁Σ₂)^{1/2} is the sum of the square roots of the
/// eigenvalues of Σ₁Σ₂, which are real and ≥ 0. It is computed from a symmetric matrix with the same eigenvalues:
/// <list type="number">
/// <item>Σ₁ = P·L·Lᵀ·Pᵀ by Cholesky with diagonal pivoting, stopped at Σ₁'s numerical rank r
/// (pivot ≤ D·ε·max diag), so L is D×r and exact for singular covariances (fewer images than features);</item>
/// <item>M = Lᵀ·(PᵀΣ₂P)·L, r×r symmetric positive semi-definite: Σ₁Σ₂ = PL·(LᵀPᵀΣ₂) and LᵀPᵀΣ₂·PL = M share
/// their non-zero eigenvalues (AB and BA do);</item>
/// <item>the eigenvalues of M — Householder tridiagonalisation, then bisection; no eigenvectors — with those at
/// rounding level (≤ D·ε·λ_max(M)) counted as 0, since a square root would turn noise of 1e-16 into 1e-8.</item>
/// </list>
/// This is the symmetric form √Σ₁·Σ₂·√Σ₁ with a Cholesky factor in place of √Σ₁ (the same similarity argument),
/// so no non-symmetric square root or complex arithmetic is needed — unlike pytorch-fid's
/// <c>scipy.linalg.sqrtm(Σ₁Σ₂)</c>, which it stabilises with ε·I when the result is not finite. That fallback is kept
/// (ε = 1e-6 on both diagonals, reported in <see cref="FrechetResult.Offset"/>) for a result that is not finite.
/// Σ₁'s factor is computed once per <see cref="FrechetDistance"/>, so comparing many methods with one reference
/// costs one product and one eigenvalue computation each.
/// </summary>
public sealed class FrechetDistance
{
    /// <summary>pytorch-fid's ε for its fallback.</summary>
    public const double FallbackOffset = 1e-6;

    private readonly GaussianStatistics reference;
    private readonly Factor referenceFactor;

    /// <summary>Prepares distances to <paramref name="reference"/> (its covariance is factorised here).</summary>
    public FrechetDistance(GaussianStatistics reference)
    {
        this.reference = reference ?? throw new ArgumentNullException(nameof(reference));
        referenceFactor = Factorise(reference.Covariance, reference.Dimension, 0);
    }

    /// <summary>The reference statistics.</summary>
    public GaussianStatistics Reference => reference;

    /// <summary>The distance from the reference to <paramref name="other"/>.</summary>
    /// <exception cref="ArgumentException">The dimensions differ.</exception>
    public FrechetResult To(GaussianStatistics other)
    {
        ArgumentNullException.ThrowIfNull(other);
        var n = reference.Dimension;
        if (other.Dimension != n)
        {
            throw new ArgumentException($"The statistics have {other.Dimension} features but the reference has {n} (made with a different FID network?).", nameof(other));
        }

        var meanTerm = 0.0;
        for (var i = 0; i < n; i++)
        {
            var d = reference.Mean[i] - other.Mean[i];
            meanTerm += d * d;
        }

        var offset = 0.0;
        var traceSqrt = TraceSqrt(referenceFactor, other.Covariance, n, 0);
        if (!double.IsFinite(traceSqrt))
        {
            offset = FallbackOffset;
            traceSqrt = TraceSqrt(Factorise(reference.Covariance, n, offset), other.Covariance, n, offset);
            if (!double.IsFinite(traceSqrt))
            {
                throw new InvalidOperationException("Tr (Σ₁Σ₂)^{1/2} is not finite even with ε·I added; the statistics are degenerate.");
            }
        }

        var distance = meanTerm + Trace(reference.Covariance, n) + Trace(other.Covariance, n) + (2 * n * offset) - (2 * traceSqrt);
        return new FrechetResult(distance, meanTerm, traceSqrt, offset);
    }

    /// <summary>The Fréchet distance between two Gaussians.</summary>
    public static FrechetResult Compute(GaussianStatistics first, GaussianStatistics second) => new FrechetDistance(first).To(second);

    private static Factor Factorise(double[] covariance, int n, double offset)
    {
        var symmetric = Symmetric(covariance, n, offset);
        var (l, permutation, rank) = PivotedCholesky.Factor(symmetric, n);
        return new Factor(l, permutation, rank);
    }

    // Σ √λᵢ(Lᵀ·PᵀΣ₂P·L) over eigenvalues above rounding level.
    private static double TraceSqrt(Factor factor, double[] covariance, int n, double offset)
    {
        var r = factor.Rank;
        if (r == 0)
        {
            return 0;
        }

        var permuted = new double[(long)n * n];
        for (var i = 0; i < n; i++)
        {
            var source = factor.Permutation[i] * n;
            for (var j = 0; j < n; j++)
            {
                permuted[(i * n) + j] = 0.5 * (covariance[source + factor.Permutation[j]] + covariance[(factor.Permutation[j] * n) + factor.Permutation[i]]);
            }

            permuted[(i * n) + i] += offset;
        }

        var c = DenseProducts.Multiply(permuted, n, n, factor.L, r);
        var m = DenseProducts.Multiply(DenseProducts.Transpose(factor.L, n, r), r, n, c, r);
        DenseProducts.Symmetrise(m, r);
        var eigenvalues = SymmetricEigenvalues.Compute(m, r);
        var largest = eigenvalues.Length == 0 ? 0 : eigenvalues[^1];
        if (!double.IsFinite(largest))
        {
            return double.NaN;
        }

        var floor = n * Math.ScaleB(1.0, -52) * Math.Max(largest, 0);
        var sum = 0.0;
        foreach (var value in eigenvalues)
        {
            if (value > floor)
            {
                sum += Math.Sqrt(value);
            }
        }

        return sum;
    }

    private static double[] Symmetric(double[] rowMajor, int n, double offset)
    {
        var m = (double[])rowMajor.Clone();
        DenseProducts.Symmetrise(m, n);
        for (var i = 0; i < n; i++)
        {
            m[(i * n) + i] += offset;
        }

        return m;
    }

    private static double Trace(double[] rowMajor, int n)
    {
        var trace = 0.0;
        for (var i = 0; i < n; i++)
        {
            trace += rowMajor[(i * n) + i];
        }

        return trace;
    }

    private sealed record Factor(double[] L, int[] Permutation, int Rank);
}
