using System.Numerics.Tensors;

namespace OrtDiffusion.Schedulers;

/// <summary>The two ways diffusers bounds a predicted x̄₀: static clipping and dynamic thresholding.</summary>
internal static class Thresholding
{
    /// <summary>Clamps every value to ±<paramref name="range"/> (<c>clip_sample</c>).</summary>
    public static void Clip(Span<float> x0, double range) =>
        TensorPrimitives.Clamp<float>(x0, -(float)range, (float)range, x0);

    /// <summary>
    /// Dynamic thresholding (Saharia et al. 2022, Imagen): per sample, s is the
    /// <paramref name="ratio"/> quantile of |x̄₀| (linear interpolation, as torch.quantile),
    /// clamped to [1, <paramref name="maxValue"/>]; values are clamped to ±s and divided by s.
    /// </summary>
    /// <param name="x0">The whole batch, thresholded in place.</param>
    /// <param name="batchSize">Number of samples in <paramref name="x0"/>.</param>
    /// <param name="ratio">dynamic_thresholding_ratio.</param>
    /// <param name="maxValue">sample_max_value.</param>
    /// <param name="scratch">At least one sample long; overwritten.</param>
    public static void Dynamic(Span<float> x0, int batchSize, double ratio, double maxValue, Span<float> scratch)
    {
        var per = x0.Length / batchSize;
        for (var b = 0; b < batchSize; b++)
        {
            var sample = x0.Slice(b * per, per);
            var sorted = scratch[..per];
            TensorPrimitives.Abs(sample, sorted);
            sorted.Sort();

            var position = ratio * (per - 1);
            var below = (int)Math.Floor(position);
            var above = Math.Min(below + 1, per - 1);
            var weight = position - below;
            var q = sorted[below] + weight * (sorted[above] - sorted[below]);

            var s = (float)Math.Min(Math.Max(q, 1.0), maxValue);
            TensorPrimitives.Clamp<float>(sample, -s, s, sample);
            TensorPrimitives.Divide(sample, s, sample);
        }
    }
}
