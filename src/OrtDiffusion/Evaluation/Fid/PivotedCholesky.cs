using System.Numerics.Tensors;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// Cholesky factorisation with diagonal pivoting of a symmetric positive semi-definite matrix, stopping at its
/// numerical rank: P·A·Pᵀ ≈ L·Lᵀ with L n×r lower trapezoidal. At each step the largest remaining diagonal entry is
/// the pivot; the factorisation stops when it is ≤ n·ε·max(diag A) (LAPACK dpstrf's default tolerance), so a
/// singular covariance gives an exact low-rank factor instead of square roots of rounding noise.
/// </summary>
internal static class PivotedCholesky
{
    /// <summary>The factor (n×r row-major, row i belongs to index <c>Permutation[i]</c> of A), the permutation and r.</summary>
    public static (double[] Factor, int[] Permutation, int Rank) Factor(double[] a, int n)
    {
        var permutation = Enumerable.Range(0, n).ToArray();
        var diagonal = new double[n];
        for (var i = 0; i < n; i++)
        {
            diagonal[i] = a[(i * n) + i];
        }

        var tolerance = n * Math.ScaleB(1.0, -52) * Math.Max(diagonal.Max(), 0);
        var l = new double[(long)n * n]; // row-major, only the first `rank` columns end up used
        var rank = 0;
        for (var k = 0; k < n; k++)
        {
            var pivot = k;
            for (var j = k + 1; j < n; j++)
            {
                if (diagonal[j] > diagonal[pivot])
                {
                    pivot = j;
                }
            }

            if (!(diagonal[pivot] > tolerance))
            {
                break;
            }

            if (pivot != k)
            {
                (permutation[k], permutation[pivot]) = (permutation[pivot], permutation[k]);
                (diagonal[k], diagonal[pivot]) = (diagonal[pivot], diagonal[k]);
                for (var t = 0; t < k; t++)
                {
                    (l[(k * n) + t], l[(pivot * n) + t]) = (l[(pivot * n) + t], l[(k * n) + t]);
                }
            }

            var lkk = Math.Sqrt(diagonal[k]);
            l[(k * n) + k] = lkk;
            var rowK = permutation[k] * n;
            var kk = k;
            void Column(int j)
            {
                var s = a[rowK + permutation[j]] - TensorPrimitives.Dot(l.AsSpan(j * n, kk), l.AsSpan(kk * n, kk));
                var value = s / lkk;
                l[(j * n) + kk] = value;
                diagonal[j] -= value * value;
            }

            if (n - k > 256)
            {
                Parallel.For(k + 1, n, Column);
            }
            else
            {
                for (var j = k + 1; j < n; j++)
                {
                    Column(j);
                }
            }

            rank = k + 1;
        }

        // Keep the first `rank` columns.
        var factor = new double[(long)n * rank];
        for (var i = 0; i < n; i++)
        {
            l.AsSpan(i * n, rank).CopyTo(factor.AsSpan(i * rank, rank));
        }

        return (factor, permutation, rank);
    }
}
