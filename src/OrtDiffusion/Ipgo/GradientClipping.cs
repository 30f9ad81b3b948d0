namespace OrtDiffusion.Ipgo;

/// <summary>Total gradient-norm clipping, as <c>torch.nn.utils.clip_grad_norm_</c> (2-norm over all gradients together).</summary>
public static class GradientClipping
{
    /// <summary>
    /// Scales every gradient by min(1, max / (‖g‖ + 10⁻⁶)), ‖g‖ the 2-norm of all of them together, and returns ‖g‖
    /// before clipping.
    /// </summary>
    /// <exception cref="ArgumentException">A gradient is not finite (PyTorch would propagate NaN into the parameters).</exception>
    public static double ClipTotalNorm(IReadOnlyList<float[]> gradients, double maxNorm)
    {
        ArgumentNullException.ThrowIfNull(gradients);
        if (!(maxNorm > 0))
        {
            throw new ArgumentOutOfRangeException(nameof(maxNorm), maxNorm, "The maximum gradient norm must be > 0.");
        }

        double squares = 0;
        foreach (var g in gradients)
        {
            foreach (var v in g)
            {
                squares += (double)v * v;
            }
        }

        var norm = Math.Sqrt(squares);
        if (!double.IsFinite(norm))
        {
            throw new ArgumentException("The gradient holds non-finite values; refusing to step.", nameof(gradients));
        }

        var coefficient = maxNorm / (norm + 1e-6);
        if (coefficient < 1)
        {
            var scale = (float)coefficient;
            foreach (var g in gradients)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(g, scale, g);
            }
        }

        return norm;
    }
}
