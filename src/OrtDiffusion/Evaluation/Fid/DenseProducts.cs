using System.Numerics.Tensors;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// Row-major dense products for the FID arithmetic at Inception's width (2048): blocked over the inner dimension so a
/// block of B's rows stays in cache, vectorised with <see cref="TensorPrimitives"/>, rows of the result computed in
/// parallel (each row in a fixed order, so results do not depend on the thread count).
/// </summary>
internal static class DenseProducts
{
    private const int InnerBlock = 64;

    /// <summary>C = A·B for A m×n and B n×p.</summary>
    public static double[] Multiply(double[] a, int m, int n, double[] b, int p)
    {
        var c = new double[(long)m * p];
        for (var k0 = 0; k0 < n; k0 += InnerBlock)
        {
            var k1 = Math.Min(n, k0 + InnerBlock);
            Parallel.For(0, m, i =>
            {
                var row = c.AsSpan(i * p, p);
                for (var k = k0; k < k1; k++)
                {
                    var aik = a[(i * n) + k];
                    if (aik != 0)
                    {
                        TensorPrimitives.MultiplyAdd(b.AsSpan(k * p, p), aik, row, row);
                    }
                }
            });
        }

        return c;
    }

    /// <summary>Aᵀ for A m×n.</summary>
    public static double[] Transpose(double[] a, int m, int n)
    {
        var t = new double[(long)m * n];
        for (var i = 0; i < m; i++)
        {
            for (var j = 0; j < n; j++)
            {
                t[(j * m) + i] = a[(i * n) + j];
            }
        }

        return t;
    }

    /// <summary>Replaces the square matrix by (A + Aᵀ)/2.</summary>
    public static void Symmetrise(double[] a, int n)
    {
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                var mean = 0.5 * (a[(i * n) + j] + a[(j * n) + i]);
                a[(i * n) + j] = mean;
                a[(j * n) + i] = mean;
            }
        }
    }
}
