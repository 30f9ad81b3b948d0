namespace OrtDiffusion.Ipgo;

/// <summary>
/// IPGO's rotation of a token (papers/NOTES.md): for angle θ_j, j = 0 then j = 1, every coordinate pair
/// <c>(x, y) = ((start + 2k + j) mod D, (start + 2k + 1 + j) mod D)</c>, k = 0…D/2 − 1, becomes
/// <c>(x cos θ_j − y sin θ_j, x sin θ_j + y cos θ_j)</c>. The second rotation acts on the result of the first
/// (as the released code's <c>design_embedding_2d</c> loops over the angles). D must be even.
/// </summary>
public static class PairwiseRotation
{
    /// <summary>Rotates <paramref name="vector"/> in place; <paramref name="afterFirst"/> receives it between the two rotations (for <see cref="Backward"/>).</summary>
    public static void Apply(Span<double> vector, double theta0, double theta1, int start, Span<double> afterFirst)
    {
        CheckWidth(vector.Length);
        Rotate(vector, theta0, start);
        if (!afterFirst.IsEmpty)
        {
            vector.CopyTo(afterFirst);
        }

        Rotate(vector, theta1, start + 1);
    }

    /// <summary>
    /// The gradient with respect to the input and both angles, given the gradient <paramref name="gradient"/> of the
    /// output (replaced in place by the input gradient), the vector between the rotations and the output.
    /// </summary>
    public static (double Theta0, double Theta1) Backward(Span<double> gradient, ReadOnlySpan<double> afterFirst, ReadOnlySpan<double> output, double theta0, double theta1, int start)
    {
        CheckWidth(gradient.Length);
        var d1 = RotateBack(gradient, output, theta1, start + 1);
        var d0 = RotateBack(gradient, afterFirst, theta0, start);
        return (d0, d1);
    }

    private static void Rotate(Span<double> v, double theta, int offset)
    {
        var (sin, cos) = Math.SinCos(theta);
        var d = v.Length;
        for (var k = 0; k < d / 2; k++)
        {
            var ix = Index(offset + (2 * k), d);
            var iy = Index(offset + (2 * k) + 1, d);
            double x = v[ix], y = v[iy];
            v[ix] = (x * cos) - (y * sin);
            v[iy] = (x * sin) + (y * cos);
        }
    }

    // Through (x', y') = R(θ)(x, y): dL/d(x, y) = R(θ)ᵀ dL/d(x', y'), and dL/dθ = Σ −g_x' y' + g_y' x'.
    private static double RotateBack(Span<double> g, ReadOnlySpan<double> rotated, double theta, int offset)
    {
        var (sin, cos) = Math.SinCos(theta);
        var d = g.Length;
        double dTheta = 0;
        for (var k = 0; k < d / 2; k++)
        {
            var ix = Index(offset + (2 * k), d);
            var iy = Index(offset + (2 * k) + 1, d);
            double gx = g[ix], gy = g[iy];
            dTheta += (-gx * rotated[iy]) + (gy * rotated[ix]);
            g[ix] = (gx * cos) + (gy * sin);
            g[iy] = (-gx * sin) + (gy * cos);
        }

        return dTheta;
    }

    private static int Index(int i, int d) => ((i % d) + d) % d;

    private static void CheckWidth(int d)
    {
        if (d < 2 || d % 2 != 0)
        {
            throw new ArgumentException($"The pairwise rotation needs an even width; got {d}.");
        }
    }
}
