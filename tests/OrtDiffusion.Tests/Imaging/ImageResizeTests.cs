using OrtDiffusion.Imaging;

namespace OrtDiffusion.Tests.Imaging;

/// <summary>ImageResize.Lanczos against PIL 9.4's Image.resize(size, Image.LANCZOS) (make_png_fixtures.py).</summary>
public class ImageResizeTests
{
    [Theory]
    [InlineData("rgb", 16, 12)]  // shrink both ways
    [InlineData("rgb", 40, 31)]  // enlarge both ways
    [InlineData("rgb", 23, 9)]   // width unchanged: vertical pass only
    [InlineData("gray", 7, 33)]  // shrink one way, enlarge the other
    public void MatchesPilLanczosByteForByte(string source, int width, int height)
    {
        var src = ImagingFixtures.LoadPixels($"resize_{source}_src.npy");
        var expected = ImagingFixtures.LoadPixels($"resize_{source}_{width}x{height}.npy");
        ImagingFixtures.AssertSamePixels(expected, ImageResize.Lanczos(src, width, height));
    }

    [Fact]
    public void SameSizeIsACopy()
    {
        var src = ImagingFixtures.LoadPixels("resize_rgb_src.npy");
        var copy = ImageResize.Lanczos(src, src.Width, src.Height);
        Assert.NotSame(src.Pixels, copy.Pixels);
        Assert.Equal(src.Pixels, copy.Pixels);
    }

    [Fact]
    public void AlphaImagesAreRefused()
    {
        var error = Assert.Throws<NotSupportedException>(() => ImageResize.Lanczos(PixelImage.Create(4, 4, PixelFormat.Rgba), 2, 2));
        Assert.Contains("ToRgb", error.Message);
    }
}
