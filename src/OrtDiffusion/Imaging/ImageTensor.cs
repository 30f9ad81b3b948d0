using System.Numerics.Tensors;

namespace OrtDiffusion.Imaging;

/// <summary>
/// Conversions between <c>[B, 3, H, W]</c> float tensors (planar RGB, C order) and 8-bit RGB
/// images, computed with the same float32 steps as diffusers so the bytes match its PNGs:
/// tensor → image is <c>(x / 2 + 0.5).clamp(0, 1)</c>, <c>* 255</c>, round half to even (numpy's
/// <c>round</c>), to uint8; image → tensor is <c>x / 255 * 2 − 1</c>.
/// </summary>
public static class ImageTensor
{
    /// <summary>Converts a <c>[B, 3, H, W]</c> tensor to B RGB images.</summary>
    /// <param name="tensor">B·3·H·W values, planar (all R, then all G, then all B per image).</param>
    /// <param name="shape">The shape <c>[B, 3, H, W]</c>.</param>
    /// <param name="range">The value range of <paramref name="tensor"/>. Values outside it are clamped; NaN becomes 0.</param>
    /// <exception cref="ArgumentException">The shape is not <c>[B, 3, H, W]</c> or does not match the data.</exception>
    public static PixelImage[] ToImages(ReadOnlySpan<float> tensor, ReadOnlySpan<int> shape, ImageValueRange range = ImageValueRange.MinusOneToOne)
    {
        var (batch, height, width) = CheckShape(shape, tensor.Length);
        int plane = height * width;
        var scaled = new float[plane];
        var images = new PixelImage[batch];
        for (int b = 0; b < batch; b++)
        {
            var pixels = new byte[plane * 3];
            for (int c = 0; c < 3; c++)
            {
                var source = tensor.Slice((b * 3 + c) * plane, plane);
                if (range == ImageValueRange.MinusOneToOne)
                {
                    TensorPrimitives.Multiply(source, 0.5f, scaled); // exact, like x / 2
                    TensorPrimitives.Add(scaled, 0.5f, scaled);
                }
                else
                    source.CopyTo(scaled);
                TensorPrimitives.Max(scaled, 0f, scaled);
                TensorPrimitives.Min(scaled, 1f, scaled);
                TensorPrimitives.Multiply(scaled, 255f, scaled);
                TensorPrimitives.Round(scaled, scaled); // MidpointRounding.ToEven, like numpy
                for (int i = 0; i < plane; i++)
                {
                    float v = scaled[i];
                    pixels[i * 3 + c] = float.IsNaN(v) ? (byte)0 : (byte)v;
                }
            }
            images[b] = new PixelImage(width, height, PixelFormat.Rgb, pixels);
        }
        return images;
    }

    /// <summary>Converts one image to a <c>[1, 3, H, W]</c> tensor (gray and alpha handled as <see cref="PixelImage.ToRgb"/> does).</summary>
    /// <param name="image">The image.</param>
    /// <param name="range">The value range of the result.</param>
    public static float[] FromImage(PixelImage image, ImageValueRange range = ImageValueRange.MinusOneToOne) =>
        FromImages([image], range);

    /// <summary>Converts images of one size to a <c>[B, 3, H, W]</c> tensor.</summary>
    /// <param name="images">The images, all with the same width and height.</param>
    /// <param name="range">The value range of the result.</param>
    /// <exception cref="ArgumentException">The list is empty or the sizes differ.</exception>
    public static float[] FromImages(IReadOnlyList<PixelImage> images, ImageValueRange range = ImageValueRange.MinusOneToOne)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0)
            throw new ArgumentException("At least one image is needed.", nameof(images));
        int width = images[0].Width, height = images[0].Height, plane = width * height;
        var tensor = new float[(long)images.Count * 3 * plane];
        var bytes = new float[plane];
        for (int b = 0; b < images.Count; b++)
        {
            var image = images[b];
            if (image.Width != width || image.Height != height)
                throw new ArgumentException(
                    $"Image {b} is {image.Width}x{image.Height} but image 0 is {width}x{height}; a batch needs one size.", nameof(images));
            var rgb = image.ToRgb().Pixels;
            for (int c = 0; c < 3; c++)
            {
                for (int i = 0; i < plane; i++)
                    bytes[i] = rgb[i * 3 + c];
                var dest = tensor.AsSpan((b * 3 + c) * plane, plane);
                TensorPrimitives.Divide(bytes, 255f, dest);
                if (range == ImageValueRange.MinusOneToOne)
                {
                    TensorPrimitives.Multiply(dest, 2f, dest);
                    TensorPrimitives.Subtract(dest, 1f, dest);
                }
            }
        }
        return tensor;
    }

    private static (int Batch, int Height, int Width) CheckShape(ReadOnlySpan<int> shape, int length)
    {
        if (shape.Length != 4 || shape[1] != 3 || shape[0] < 1 || shape[2] < 1 || shape[3] < 1)
            throw new ArgumentException($"An image tensor must have shape [B, 3, H, W]; got [{string.Join(", ", shape.ToArray())}].", nameof(shape));
        long expected = (long)shape[0] * 3 * shape[2] * shape[3];
        if (expected != length)
            throw new ArgumentException(
                $"Shape [{string.Join(", ", shape.ToArray())}] needs {expected} values but the tensor has {length}.", nameof(shape));
        return (shape[0], shape[2], shape[3]);
    }
}
