namespace OrtDiffusion.Imaging;

/// <summary>The channel layout of an 8-bit <see cref="PixelImage"/>.</summary>
public enum PixelFormat
{
    /// <summary>One channel: luminance.</summary>
    Gray,

    /// <summary>Two channels: luminance, alpha.</summary>
    GrayAlpha,

    /// <summary>Three channels: red, green, blue.</summary>
    Rgb,

    /// <summary>Four channels: red, green, blue, alpha (not premultiplied).</summary>
    Rgba,
}

/// <summary>Facts about <see cref="PixelFormat"/> values.</summary>
public static class PixelFormats
{
    /// <summary>The number of bytes per pixel (one per channel).</summary>
    /// <param name="format">The format.</param>
    public static int ChannelCount(this PixelFormat format) => format switch
    {
        PixelFormat.Gray => 1,
        PixelFormat.GrayAlpha => 2,
        PixelFormat.Rgb => 3,
        PixelFormat.Rgba => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown pixel format."),
    };

    /// <summary>Whether the last channel is alpha.</summary>
    /// <param name="format">The format.</param>
    public static bool HasAlpha(this PixelFormat format) => format is PixelFormat.GrayAlpha or PixelFormat.Rgba;
}
