using System.Numerics.Tensors;

namespace OrtDiffusion.Ipgo;

/// <summary>The orthogonal factor of a square matrix's QR decomposition, normalised so that diag(R) &gt; 0 (then it is unique).</summary>
internal static class QrDecomposition
{
    /// <summary>
    /// Q of A = QR for a square <paramref name="columns"/> (column-major, n×n, overwritten), by Householder reflections
    /// in double precision (O(n³), vectorised); returned column-major. Throws when A is singular.
    /// </summary>
    public static double[] PositiveQ(double[] columns, int n)
    {
        var reflectors = new double[n * n]; // v_j in column j (zeros above row j)
        var beta = new double[n];
        var diagonal = new double[n];
        for (var j = 0; j < n; j++)
        {
            var x = columns.AsSpan((j * n) + j, n - j);
            var norm = Math.Sqrt(TensorPrimitives.Dot<double>(x, x));
            if (norm == 0 || !double.IsFinite(norm))
            {
                throw new ArgumentException($"The matrix is singular at column {j}; it cannot be orthonormalised.");
            }

            // H = I − β v vᵀ maps x to α e_0 with α = −sign(x_0)‖x‖ (no cancellation in v_0 = x_0 − α).
            var alpha = x[0] >= 0 ? -norm : norm;
            var v = reflectors.AsSpan((j * n) + j, n - j);
            x.CopyTo(v);
            v[0] -= alpha;
            beta[j] = 2 / TensorPrimitives.Dot<double>(v, v);
            diagonal[j] = alpha;
            for (var c = j; c < n; c++)
            {
                var column = columns.AsSpan((c * n) + j, n - j);
                TensorPrimitives.MultiplyAdd(v, -beta[j] * TensorPrimitives.Dot<double>(v, column), column, column);
            }
        }

        // Q = H_0 ⋯ H_{n−1} I, applied right to left; then column j times sign(R_jj) = sign(α_j).
        var q = new double[n * n];
        for (var c = 0; c < n; c++)
        {
            q[(c * n) + c] = 1;
        }

        for (var j = n - 1; j >= 0; j--)
        {
            var v = reflectors.AsSpan((j * n) + j, n - j);
            for (var c = 0; c < n; c++)
            {
                var column = q.AsSpan((c * n) + j, n - j);
                var dot = TensorPrimitives.Dot<double>(v, column);
                if (dot != 0)
                {
                    TensorPrimitives.MultiplyAdd(v, -beta[j] * dot, column, column);
                }
            }
        }

        for (var c = 0; c < n; c++)
        {
            if (diagonal[c] < 0)
            {
                TensorPrimitives.Negate(q.AsSpan(c * n, n), q.AsSpan(c * n, n));
            }
        }

        return q;
    }
}
