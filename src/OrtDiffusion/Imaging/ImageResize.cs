namespace OrtDiffusion.Imaging;

/// <summary>
/// Lanczos (a = 3) resizing that reproduces PIL's <c>Image.resize(size, Image.LANCZOS)</c> on
/// 8-bit images byte for byte — the resampling diffusers' image processor applies to init images
/// whose size does not fit. Separable: a horizontal pass into an 8-bit intermediate, then a
/// vertical pass; when shrinking, the kernel is widened by the scale factor; coefficients are
/// normalised per output pixel and applied in 22-bit fixed point, as PIL does.
/// </summary>
public static class ImageResize
{
    private const int PrecisionBits = 32 - 8 - 2;
    private const double Support = 3.0;

    /// <summary>Resizes an image without alpha (gray or RGB) to <paramref name="width"/> × <paramref name="height"/>.</summary>
    /// <param name="image">A <see cref="PixelFormat.Gray"/> or <see cref="PixelFormat.Rgb"/> image.</param>
    /// <param name="width">The new width, at least 1.</param>
    /// <param name="height">The new height, at least 1.</param>
    /// <returns>A new image, or a copy when the size is unchanged.</returns>
    /// <exception cref="NotSupportedException">The image has alpha (PIL premultiplies alpha first; convert with <see cref="PixelImage.ToRgb"/>).</exception>
    public static PixelImage Lanczos(PixelImage image, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        if (image.Format.HasAlpha())
            throw new NotSupportedException(
                $"ImageResize.Lanczos resizes gray or RGB images; this one is {image.Format}. Convert it with ToRgb() first.");
        if (width == image.Width && height == image.Height)
            return new PixelImage(width, height, image.Format, (byte[])image.Pixels.Clone());

        int channels = image.ChannelCount;
        var vertical = Coefficients.Compute(image.Height, height);
        // Only the source rows the vertical pass reads need the horizontal pass.
        int firstRow = vertical.Start[0];
        int lastRow = vertical.Start[height - 1] + vertical.Count[height - 1];

        int tempWidth = image.Width;
        byte[] temp = image.Pixels;
        int rowOffset = 0;
        if (width != image.Width)
        {
            var horizontal = Coefficients.Compute(image.Width, width);
            temp = new byte[(long)width * (lastRow - firstRow) * channels];
            for (int y = firstRow; y < lastRow; y++)
            {
                for (int x = 0; x < width; x++)
                {
                    int start = horizontal.Start[x], count = horizontal.Count[x];
                    var k = horizontal.Weights.AsSpan(x * horizontal.Size, horizontal.Size);
                    for (int c = 0; c < channels; c++)
                    {
                        int sum = 1 << (PrecisionBits - 1);
                        for (int i = 0; i < count; i++)
                            sum += image.Pixels[((long)y * image.Width + start + i) * channels + c] * k[i];
                        temp[((long)(y - firstRow) * width + x) * channels + c] = Clip8(sum);
                    }
                }
            }
            tempWidth = width;
            rowOffset = firstRow;
        }

        if (height == image.Height)
            return new PixelImage(width, height, image.Format, temp);

        var output = new byte[(long)width * height * channels];
        for (int y = 0; y < height; y++)
        {
            int start = vertical.Start[y] - rowOffset, count = vertical.Count[y];
            var k = vertical.Weights.AsSpan(y * vertical.Size, vertical.Size);
            for (int x = 0; x < width; x++)
            {
                for (int c = 0; c < channels; c++)
                {
                    int sum = 1 << (PrecisionBits - 1);
                    for (int i = 0; i < count; i++)
                        sum += temp[((long)(start + i) * tempWidth + x) * channels + c] * k[i];
                    output[((long)y * width + x) * channels + c] = Clip8(sum);
                }
            }
        }
        return new PixelImage(width, height, image.Format, output);
    }

    private static byte Clip8(int value)
    {
        int v = value >> PrecisionBits;
        return v < 0 ? (byte)0 : v > 255 ? (byte)255 : (byte)v;
    }

    private static double Sinc(double x)
    {
        if (x == 0.0)
            return 1.0;
        x *= Math.PI;
        return Math.Sin(x) / x;
    }

    private static double LanczosKernel(double x) => x is >= -3.0 and < 3.0 ? Sinc(x) * Sinc(x / 3) : 0.0;

    /// <summary>Per output pixel: first source index, tap count, and fixed-point weights (Size per pixel).</summary>
    private sealed record Coefficients(int[] Start, int[] Count, int[] Weights, int Size)
    {
        public static Coefficients Compute(int inSize, int outSize)
        {
            double scale = (double)inSize / outSize;
            double filterScale = Math.Max(scale, 1.0);
            double support = Support * filterScale;
            int size = (int)Math.Ceiling(support) * 2 + 1;
            var start = new int[outSize];
            var count = new int[outSize];
            var weights = new int[outSize * size];
            var w = new double[size];
            for (int o = 0; o < outSize; o++)
            {
                double center = (o + 0.5) * scale;
                double inverse = 1.0 / filterScale;
                int min = Math.Max((int)(center - support + 0.5), 0);
                int max = Math.Min((int)(center + support + 0.5), inSize) - min;
                double total = 0.0;
                for (int i = 0; i < max; i++)
                {
                    w[i] = LanczosKernel((i + min - center + 0.5) * inverse);
                    total += w[i];
                }
                for (int i = 0; i < max; i++)
                {
                    double normalised = total != 0.0 ? w[i] / total : w[i];
                    // Round half away from zero into 22-bit fixed point.
                    weights[o * size + i] = normalised < 0
                        ? (int)(-0.5 + normalised * (1 << PrecisionBits))
                        : (int)(0.5 + normalised * (1 << PrecisionBits));
                }
                start[o] = min;
                count[o] = max;
            }
            return new Coefficients(start, count, weights, size);
        }
    }
}
