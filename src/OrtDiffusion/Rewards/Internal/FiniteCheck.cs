using System.Numerics.Tensors;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Rewards;

/// <summary>Finds NaN and infinity: a vectorised sum first (finite for almost every input), a scan only when it is not.</summary>
internal static class FiniteCheck
{
    public static int IndexOfNonFinite(ReadOnlySpan<float> values)
    {
        if (values.IsEmpty || float.IsFinite(TensorPrimitives.Sum(values)))
        {
            return -1;
        }

        for (var i = 0; i < values.Length; i++)
        {
            if (!float.IsFinite(values[i]))
            {
                return i;
            }
        }

        return -1; // the sum overflowed on large finite values
    }

    /// <summary>Checks an image batch argument: <c>[B, 3, H, W]</c> with B, H, W ≥ 1 and finite values.</summary>
    public static void CheckImages(FloatTensor images, string rewardName)
    {
        ArgumentNullException.ThrowIfNull(images);
        var s = images.Shape;
        if (s.Length != 4 || s[1] != 3 || s[0] < 1 || s[2] < 1 || s[3] < 1)
        {
            throw new ArgumentException($"Reward '{rewardName}' needs images of shape [batch, 3, height, width] (RGB in [0, 1]); got {FloatTensor.ShapeText(s)}.", nameof(images));
        }

        var index = IndexOfNonFinite(images.Data);
        if (index >= 0)
        {
            long plane = s[2] * s[3];
            var b = index / (3 * plane);
            var c = index / plane % 3;
            var y = index % plane / s[3];
            var x = index % s[3];
            throw new ArgumentException($"Reward '{rewardName}': image {b} holds the non-finite value {images.Data[index]} at channel {c}, row {y}, column {x}.", nameof(images));
        }
    }

    /// <summary>Checks per-image weights: empty (all ones) or one finite value per image.</summary>
    public static void CheckWeights(ReadOnlySpan<float> weights, int batch, string rewardName)
    {
        if (weights.IsEmpty)
        {
            return;
        }

        if (weights.Length != batch)
        {
            throw new ArgumentException($"Reward '{rewardName}': {weights.Length} weights for {batch} images; give one per image or none.", nameof(weights));
        }

        var index = IndexOfNonFinite(weights);
        if (index >= 0)
        {
            throw new ArgumentException($"Reward '{rewardName}': weight {index} is {weights[index]}; weights must be finite.", nameof(weights));
        }
    }
}
