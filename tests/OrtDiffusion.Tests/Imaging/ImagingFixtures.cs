using OrtDiffusion.Imaging;
using OrtDiffusion.IO;

namespace OrtDiffusion.Tests.Imaging;

/// <summary>Files from Fixtures/imaging (made by make_png_fixtures.py with PIL, numpy, torch and a tiny Python PNG encoder).</summary>
internal static class ImagingFixtures
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", "imaging", name);

    /// <summary>An (H, W, C) uint8 .npy as an image (C = 1, 2, 3, 4 → gray, gray+alpha, RGB, RGBA).</summary>
    public static PixelImage LoadPixels(string npyName)
    {
        var array = NpyFile.Read(Path(npyName));
        Assert.Equal(3, array.Shape.Length);
        var format = array.Shape[2] switch
        {
            1 => PixelFormat.Gray,
            2 => PixelFormat.GrayAlpha,
            3 => PixelFormat.Rgb,
            4 => PixelFormat.Rgba,
            _ => throw new InvalidDataException($"{npyName}: {array.Shape[2]} channels"),
        };
        return new PixelImage((int)array.Shape[1], (int)array.Shape[0], format, array.GetData<byte>());
    }

    public static void AssertSamePixels(PixelImage expected, PixelImage actual)
    {
        Assert.Equal(expected.Format, actual.Format);
        Assert.Equal(expected.Width, actual.Width);
        Assert.Equal(expected.Height, actual.Height);
        Assert.Equal(expected.Pixels, actual.Pixels);
    }
}
