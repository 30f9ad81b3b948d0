using System.Numerics.Tensors;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// Eigenvalues (no vectors) of a real symmetric matrix: Householder reduction to tridiagonal form, then bisection on
/// Sturm sequence counts for each eigenvalue. The reduction is backward stable and the bisection finds every
/// eigenvalue of the tridiagonal matrix to an absolute accuracy of about ε·‖T‖. Skipping the eigenvectors is what
/// makes a 2048-wide FID take seconds rather than minutes.
/// </summary>
internal static class SymmetricEigenvalues
{
    /// <summary>The eigenvalues of the symmetric n×n row-major <paramref name="a"/> (overwritten), ascending.</summary>
    public static double[] Compute(double[] a, int n)
    {
        var (diagonal, offDiagonal) = Tridiagonalise(a, n);
        return Bisect(diagonal, offDiagonal);
    }

    /// <summary>
    /// Householder reduction: for k = 0 … n−3, H = I − 2vvᵀ maps column k below the diagonal onto a multiple of e₁,
    /// and the trailing block B becomes HBH = B − v·wᵀ − w·vᵀ with p = Bv, w = 2(p − (vᵀp)v).
    /// </summary>
    internal static (double[] Diagonal, double[] OffDiagonal) Tridiagonalise(double[] a, int n)
    {
        var diagonal = new double[n];
        var off = new double[Math.Max(0, n - 1)];
        var v = new double[n];
        var w = new double[n];
        for (var k = 0; k < n - 2; k++)
        {
            var m = n - k - 1; // size of the trailing block, rows/columns k+1 … n−1
            var x = v.AsSpan(0, m);
            for (var i = 0; i < m; i++)
            {
                x[i] = a[((k + 1 + i) * n) + k];
            }

            diagonal[k] = a[(k * n) + k];
            var norm = TensorPrimitives.Norm(x);
            if (norm == 0)
            {
                off[k] = 0;
                continue;
            }

            var alpha = x[0] > 0 ? -norm : norm;
            off[k] = alpha;
            x[0] -= alpha;
            var vNorm = TensorPrimitives.Norm(x);
            if (vNorm == 0)
            {
                continue; // the column is already a multiple of e₁
            }

            TensorPrimitives.Divide(x, vNorm, x);
            var vArray = v;
            var p = w;
            void MatVec(int i) => p[i] = TensorPrimitives.Dot(a.AsSpan(((k + 1 + i) * n) + k + 1, m), vArray.AsSpan(0, m));
            For(m, MatVec);
            var kp = TensorPrimitives.Dot(p.AsSpan(0, m), v.AsSpan(0, m));
            for (var i = 0; i < m; i++)
            {
                p[i] = 2 * (p[i] - (kp * v[i]));
            }

            void Update(int i)
            {
                var row = a.AsSpan(((k + 1 + i) * n) + k + 1, m);
                TensorPrimitives.MultiplyAdd(vArray.AsSpan(0, m), -p[i], row, row);
                TensorPrimitives.MultiplyAdd(p.AsSpan(0, m), -vArray[i], row, row);
            }

            For(m, Update);
        }

        if (n >= 2)
        {
            diagonal[n - 2] = a[((n - 2) * n) + n - 2];
            off[n - 2] = a[((n - 1) * n) + n - 2];
        }

        if (n >= 1)
        {
            diagonal[n - 1] = a[((n - 1) * n) + n - 1];
        }

        return (diagonal, off);
    }

    /// <summary>Every eigenvalue of the symmetric tridiagonal matrix (diagonal d, off-diagonal e), ascending, by bisection.</summary>
    internal static double[] Bisect(double[] d, double[] e)
    {
        var n = d.Length;
        var values = new double[n];
        if (n == 0)
        {
            return values;
        }

        // Gershgorin bounds, and the smallest pivot the Sturm recurrence may divide by (LAPACK's pivmin).
        double low = double.PositiveInfinity, high = double.NegativeInfinity, largestSquare = 1;
        for (var i = 0; i < n; i++)
        {
            var radius = (i > 0 ? Math.Abs(e[i - 1]) : 0) + (i < n - 1 ? Math.Abs(e[i]) : 0);
            low = Math.Min(low, d[i] - radius);
            high = Math.Max(high, d[i] + radius);
            if (i < n - 1)
            {
                largestSquare = Math.Max(largestSquare, e[i] * e[i]);
            }
        }

        var pivmin = 2.2250738585072014E-308 * largestSquare;
        var scale = Math.Max(Math.Abs(low), Math.Abs(high));
        var tolerance = 2 * Math.ScaleB(1.0, -52) * scale;
        low -= tolerance;
        high += tolerance;
        void Find(int index)
        {
            double lo = low, hi = high;
            for (var iteration = 0; iteration < 200 && hi - lo > tolerance; iteration++)
            {
                var mid = 0.5 * (lo + hi);
                if (CountBelow(d, e, mid, pivmin) > index)
                {
                    hi = mid;
                }
                else
                {
                    lo = mid;
                }
            }

            values[index] = 0.5 * (lo + hi);
        }

        For(n, Find);
        return values;
    }

    // How many eigenvalues are below x: the negative pivots of the LDLᵀ factorisation of T − xI.
    private static int CountBelow(double[] d, double[] e, double x, double pivmin)
    {
        var count = 0;
        var q = d[0] - x;
        for (var i = 0; ; i++)
        {
            if (Math.Abs(q) < pivmin)
            {
                q = -pivmin;
            }

            if (q < 0)
            {
                count++;
            }

            if (i + 1 == d.Length)
            {
                return count;
            }

            q = d[i + 1] - x - (e[i] * e[i] / q);
        }
    }

    private static void For(int count, Action<int> body)
    {
        if (count >= 128)
        {
            Parallel.For(0, count, body);
        }
        else
        {
            for (var i = 0; i < count; i++)
            {
                body(i);
            }
        }
    }
}
