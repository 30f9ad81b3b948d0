namespace OrtDiffusion.Imaging;

/// <summary>
/// An 8-bit image: <see cref="Height"/> rows of <see cref="Width"/> pixels, each pixel's
/// channels interleaved (e.g. R, G, B), rows top to bottom with no padding.
/// </summary>
public sealed class PixelImage
{
    /// <summary>Wraps <paramref name="pixels"/> (not copied).</summary>
    /// <param name="width">Pixels per row, at least 1.</param>
    /// <param name="height">Rows, at least 1.</param>
    /// <param name="format">The channel layout.</param>
    /// <param name="pixels">width × height × channels bytes.</param>
    /// <exception cref="ArgumentException">The sizes do not match.</exception>
    public PixelImage(int width, int height, PixelFormat format, byte[] pixels)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long expected = (long)width * height * format.ChannelCount();
        if (pixels.LongLength != expected)
            throw new ArgumentException(
                $"A {width}x{height} {format} image needs {expected} bytes, but {pixels.LongLength} were given.", nameof(pixels));
        Width = width;
        Height = height;
        Format = format;
        Pixels = pixels;
    }

    /// <summary>Creates a black (and, with alpha, fully transparent) image.</summary>
    /// <param name="width">Pixels per row.</param>
    /// <param name="height">Rows.</param>
    /// <param name="format">The channel layout.</param>
    public static PixelImage Create(int width, int height, PixelFormat format)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        long size = (long)width * height * format.ChannelCount();
        if (size > Array.MaxLength)
            throw new ArgumentException($"A {width}x{height} {format} image is too large for one array.");
        return new PixelImage(width, height, format, new byte[size]);
    }

    /// <summary>Pixels per row.</summary>
    public int Width { get; }

    /// <summary>Number of rows.</summary>
    public int Height { get; }

    /// <summary>The channel layout.</summary>
    public PixelFormat Format { get; }

    /// <summary>Bytes per pixel.</summary>
    public int ChannelCount => Format.ChannelCount();

    /// <summary>The pixel bytes, row-major with interleaved channels.</summary>
    public byte[] Pixels { get; }

    /// <summary>Bytes per row.</summary>
    public int Stride => Width * ChannelCount;

    /// <summary>
    /// This image as RGB, the way PIL's <c>convert("RGB")</c> does it: gray is replicated into
    /// the three channels and alpha is dropped (not composited). Returns this instance when it
    /// is already RGB.
    /// </summary>
    public PixelImage ToRgb()
    {
        if (Format == PixelFormat.Rgb)
            return this;
        var rgb = new byte[(long)Width * Height * 3];
        int channels = ChannelCount;
        int pixelCount = Width * Height;
        bool gray = Format is PixelFormat.Gray or PixelFormat.GrayAlpha;
        for (int p = 0; p < pixelCount; p++)
        {
            int src = p * channels, dst = p * 3;
            if (gray)
            {
                byte v = Pixels[src];
                rgb[dst] = v;
                rgb[dst + 1] = v;
                rgb[dst + 2] = v;
            }
            else
            {
                rgb[dst] = Pixels[src];
                rgb[dst + 1] = Pixels[src + 1];
                rgb[dst + 2] = Pixels[src + 2];
            }
        }
        return new PixelImage(Width, Height, PixelFormat.Rgb, rgb);
    }

    /// <inheritdoc />
    public override string ToString() => $"PixelImage {Width}x{Height} {Format}";
}
