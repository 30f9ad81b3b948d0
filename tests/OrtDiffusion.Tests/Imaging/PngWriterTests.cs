using System.Buffers.Binary;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using OrtDiffusion.Imaging;
using OrtDiffusion.Tests.IO;

namespace OrtDiffusion.Tests.Imaging;

public class PngWriterTests
{
    private static readonly string[] s_texts = ["", "plain", "café, 50%\nline two", "猫 🐱", "Ünïcödé ✓ mixed"];

    [Fact]
    public void RandomImagesAndTextRoundTrip()
    {
        var images =
            from format in Gen.Elements(PixelFormat.Gray, PixelFormat.GrayAlpha, PixelFormat.Rgb, PixelFormat.Rgba)
            from width in Gen.Choose(1, 24)
            from height in Gen.Choose(1, 24)
            from smooth in Gen.Elements(true, false)
            from bytes in Gen.ArrayOf(Gen.Choose(0, 255), width * height * format.ChannelCount())
            from text in Gen.Elements(s_texts)
            select (Image: new PixelImage(width, height, format, Smooth(bytes, smooth)), Text: text);
        Prop.ForAll(Arb.From(images), sample =>
        {
            var text = new[] { new PngText("Comment", sample.Text) };
            var decoded = PngReader.Decode(PngWriter.Encode(sample.Image, text));
            ImagingFixtures.AssertSamePixels(sample.Image, decoded.Image);
            Assert.Equal(text, decoded.Text);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void LargeImagesAreSplitIntoSeveralIdatChunksAndStillRoundTrip()
    {
        // Noise does not compress, so 300x300 RGB (270 kB) needs more than one 256 KiB IDAT chunk.
        var random = new Random(5);
        var pixels = new byte[300 * 300 * 3];
        random.NextBytes(pixels);
        var image = new PixelImage(300, 300, PixelFormat.Rgb, pixels);
        byte[] png = PngWriter.Encode(image);
        Assert.True(ChunkTypes(png).Count(t => t == "IDAT") > 1);
        ImagingFixtures.AssertSamePixels(image, PngReader.Decode(png).Image);
    }

    [Fact]
    public void TextIsTExtWhenLatin1AndITxtOtherwiseLikePil()
    {
        byte[] png = PngWriter.Encode(PixelImage.Create(2, 2, PixelFormat.Rgb),
            [new PngText("parameters", "café"), new PngText("parameters", "猫")]);
        Assert.Equal(new[] { "IHDR", "tEXt", "iTXt", "IDAT", "IEND" }, ChunkTypes(png));
        // The same bytes PIL's PngInfo.add_text writes (tEXt: key NUL latin-1; iTXt: key NUL 0 0 NUL NUL utf-8).
        Assert.Equal(Encoding.Latin1.GetBytes("parameters\0café"), ChunkData(png, 1));
        Assert.Equal([.. Encoding.Latin1.GetBytes("parameters"), 0, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes("猫")], ChunkData(png, 2));
    }

    [Fact]
    public void GenerationParametersRoundTripThroughAFile()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "image.png");
        var parameters = new GenerationParameters
        {
            Prompt = "a photo of a cat",
            NegativePrompt = "blurry",
            Steps = 50,
            Sampler = "DDIM",
            CfgScale = 7.5,
            Seed = 42,
            Width = 4,
            Height = 3,
            Model = "tiny-sd",
            Extra = [new("DATE rho", "0.1"), new("Reward", "clip: 1.0, aesthetic: 0.5")],
        };
        var image = new PixelImage(4, 3, PixelFormat.Rgb, Enumerable.Range(0, 36).Select(i => (byte)(i * 7)).ToArray());
        PngWriter.Write(path, image, parameters, [new PngText("Software", "OrtDiffusion")]);

        var png = PngReader.Read(path);
        Assert.Equal(parameters, png.Parameters);
        Assert.Equal("OrtDiffusion", png.GetText("Software"));
        Assert.Equal(
            "a photo of a cat\nNegative prompt: blurry\nSteps: 50, Sampler: DDIM, CFG scale: 7.5, Seed: 42, Size: 4x3, " +
            "Model: tiny-sd, DATE rho: 0.1, Reward: \"clip: 1.0, aesthetic: 0.5\"",
            png.GetText("parameters"));
        ImagingFixtures.AssertSamePixels(image, png.Image);
        Assert.Single(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void ACancelledOrRejectedWriteLeavesNoFileAndNoTemporary()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "out.png");
        var image = PixelImage.Create(8, 8, PixelFormat.Rgba);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => PngWriter.Write(path, image, cancellationToken: cancelled.Token));
        var badKeyword = Assert.Throws<ArgumentException>(() => PngWriter.Write(path, image, [new PngText("", "x")]));
        Assert.Contains("keyword", badKeyword.Message);
        Assert.Throws<ArgumentException>(() => PngWriter.Write(path, image, [new PngText("k", "nul\0inside")]));
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void Crc32HasTheStandardCheckValue()
    {
        // The CRC-32 check value of "123456789" (ISO-HDLC / PNG / zlib) and the CRC every PNG's IEND chunk carries.
        Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));
        Assert.Equal(0xAE426082u, Crc32.Compute("IEND"u8));
    }

    [Fact]
    public void EachFilterIsUndoneByItsReverse()
    {
        var rows =
            from bpp in Gen.Choose(1, 4)
            from pixels in Gen.Choose(1, 12)
            from row in Gen.ArrayOf(Gen.Choose(0, 255), bpp * pixels)
            from prev in Gen.ArrayOf(Gen.Choose(0, 255), bpp * pixels)
            from type in Gen.Choose(0, 4)
            select (Bpp: bpp, Row: row.Select(v => (byte)v).ToArray(), Prev: prev.Select(v => (byte)v).ToArray(), Type: type);
        Prop.ForAll(Arb.From(rows), c =>
        {
            var filtered = new byte[c.Row.Length];
            PngFilters.Apply(c.Type, c.Row, c.Prev, c.Bpp, filtered);
            Assert.True(PngFilters.Reverse(c.Type, filtered, c.Prev, c.Bpp));
            Assert.Equal(c.Row, filtered);
        }).QuickCheckThrowOnFailure();
    }

    /// <summary>Half the samples get smooth content so the filter heuristic picks filters other than None.</summary>
    private static byte[] Smooth(int[] values, bool smooth) =>
        values.Select((v, i) => smooth ? (byte)(i / 3 + (v & 3)) : (byte)v).ToArray();

    private static List<string> ChunkTypes(byte[] png)
    {
        var types = new List<string>();
        for (int offset = 8; offset < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            types.Add(Encoding.ASCII.GetString(png, offset + 4, 4));
            offset += 12 + length;
        }
        return types;
    }

    private static byte[] ChunkData(byte[] png, int index)
    {
        int offset = 8;
        for (int i = 0; ; i++)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            if (i == index)
                return png.AsSpan(offset + 8, length).ToArray();
            offset += 12 + length;
        }
    }
}
