using OrtDiffusion.Rewards;

namespace OrtDiffusion.Tests.Rewards;

/// <summary>
/// A plain C# statement of what the reward graphs' preprocessing should do, written from torch's definitions (not from
/// the graph): resize the shorter side to S with <c>F.interpolate(mode="bilinear", align_corners=False)</c> (long side
/// <c>⌊long · S / short⌋</c>, as torchvision's Resize(S) computes it), crop the centre S×S (offsets
/// <c>⌊(side − S) / 2⌋</c>), subtract the mean and divide by the std per channel. In double precision.
/// </summary>
internal static class PreprocessingReference
{
    public static double[] Preprocess(float[] image, int height, int width, RewardPreprocessing p)
    {
        var size = p.ImageSize;
        var shorter = Math.Min(height, width);
        var newHeight = height * size / shorter;
        var newWidth = width * size / shorter;
        var top = (newHeight - size) / 2;
        var left = (newWidth - size) / 2;
        var result = new double[3 * size * size];
        for (var c = 0; c < 3; c++)
        {
            var plane = image.AsSpan(c * height * width, height * width);
            for (var y = 0; y < size; y++)
            {
                var (y0, y1, ly) = Source(top + y, height, newHeight);
                for (var x = 0; x < size; x++)
                {
                    var (x0, x1, lx) = Source(left + x, width, newWidth);
                    var value = ((1 - ly) * (((1 - lx) * plane[(y0 * width) + x0]) + (lx * plane[(y0 * width) + x1])))
                                + (ly * (((1 - lx) * plane[(y1 * width) + x0]) + (lx * plane[(y1 * width) + x1])));
                    result[(c * size * size) + (y * size) + x] = (value - p.Mean[c]) / p.Std[c];
                }
            }
        }

        return result;
    }

    /// <summary>torch's source index for output pixel <paramref name="i"/>: (i + ½)·in/out − ½, clamped at 0; neighbours and weight.</summary>
    private static (int Low, int High, double Weight) Source(int i, int inSize, int outSize)
    {
        var source = Math.Max(((i + 0.5) * inSize / outSize) - 0.5, 0);
        var low = (int)source;
        var high = Math.Min(low + 1, inSize - 1);
        return (low, high, source - low);
    }
}
