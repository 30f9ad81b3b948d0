using OrtDiffusion.Imaging;
using OrtDiffusion.IO;

namespace OrtDiffusion.Tests.Imaging;

/// <summary>
/// ImageTensor against diffusers' own arithmetic run in torch/numpy by make_png_fixtures.py
/// (postprocess: (x / 2 + 0.5).clamp(0, 1), * 255, numpy round, uint8; preprocess: x / 255, 2x − 1).
/// The input tensor includes 40 values that land exactly on k + 0.5 to pin round-half-to-even.
/// </summary>
public class ImageTensorTests
{
    [Theory]
    [InlineData(ImageValueRange.MinusOneToOne, "tensor_signed_to_images.npy")]
    [InlineData(ImageValueRange.ZeroToOne, "tensor_unit_to_images.npy")]
    public void TensorToImagesMatchesDiffusersByteForByte(ImageValueRange range, string expectedFile)
    {
        var input = NpyFile.Read(ImagingFixtures.Path("tensor_signed_in.npy"));
        var expected = NpyFile.Read(ImagingFixtures.Path(expectedFile)); // (B, H, W, 3)
        var images = ImageTensor.ToImages(input.GetData<float>(), input.Shape.Select(d => (int)d).ToArray(), range);
        Assert.Equal(2, images.Length);
        int perImage = 5 * 7 * 3;
        for (int b = 0; b < images.Length; b++)
        {
            Assert.Equal((7, 5, PixelFormat.Rgb), (images[b].Width, images[b].Height, images[b].Format));
            Assert.Equal(expected.GetData<byte>().AsSpan(b * perImage, perImage).ToArray(), images[b].Pixels);
        }
    }

    [Theory]
    [InlineData(ImageValueRange.MinusOneToOne, "tensor_image_to_signed.npy")]
    [InlineData(ImageValueRange.ZeroToOne, "tensor_image_to_unit.npy")]
    public void ImageToTensorMatchesDiffusersBitForBit(ImageValueRange range, string expectedFile)
    {
        var image = ImagingFixtures.LoadPixels("tensor_image_in.npy");
        var expected = NpyFile.Read(ImagingFixtures.Path(expectedFile));
        Assert.Equal(new long[] { 1, 3, 5, 7 }, expected.Shape);
        var actual = ImageTensor.FromImage(image, range);
        Assert.Equal(expected.GetData<float>().Select(BitConverter.SingleToInt32Bits), actual.Select(BitConverter.SingleToInt32Bits));
    }

    [Fact]
    public void NaNBecomesBlackAndOutOfRangeIsClamped()
    {
        float[] tensor = [float.NaN, -5f, 5f, float.NegativeInfinity, float.PositiveInfinity, 0f];
        var image = ImageTensor.ToImages(tensor, [1, 3, 1, 2])[0];
        // Planar input: R = (NaN, -5), G = (5, -inf), B = (+inf, 0).
        Assert.Equal(new byte[] { 0, 255, 255, 0, 0, 128 }, image.Pixels);
    }

    [Fact]
    public void GrayAndAlphaImagesBecomeRgbTensors()
    {
        var gray = new PixelImage(2, 1, PixelFormat.GrayAlpha, [0, 7, 255, 9]);
        float[] tensor = ImageTensor.FromImage(gray, ImageValueRange.ZeroToOne);
        Assert.Equal(new[] { 0f, 1f, 0f, 1f, 0f, 1f }, tensor);
    }

    [Fact]
    public void ShapesAreChecked()
    {
        var wrongChannels = Assert.Throws<ArgumentException>(() => ImageTensor.ToImages(new float[8], [1, 4, 1, 2]));
        Assert.Contains("[1, 4, 1, 2]", wrongChannels.Message);
        var wrongLength = Assert.Throws<ArgumentException>(() => ImageTensor.ToImages(new float[5], [1, 3, 1, 2]));
        Assert.Contains("needs 6 values", wrongLength.Message);
        var mixed = Assert.Throws<ArgumentException>(() => ImageTensor.FromImages(
            [PixelImage.Create(2, 2, PixelFormat.Rgb), PixelImage.Create(3, 2, PixelFormat.Rgb)]));
        Assert.Contains("3x2", mixed.Message);
    }

    [Fact]
    public void BatchesKeepTheirOrder()
    {
        var a = new PixelImage(1, 1, PixelFormat.Rgb, [255, 0, 0]);
        var b = new PixelImage(1, 1, PixelFormat.Rgb, [0, 0, 255]);
        float[] tensor = ImageTensor.FromImages([a, b]);
        Assert.Equal(new[] { 1f, -1f, -1f, -1f, -1f, 1f }, tensor);
        var back = ImageTensor.ToImages(tensor, [2, 3, 1, 1]);
        Assert.Equal(a.Pixels, back[0].Pixels);
        Assert.Equal(b.Pixels, back[1].Pixels);
    }
}
