using System.Buffers.Binary;
using OrtDiffusion.Imaging;

namespace OrtDiffusion.Tests.Imaging;

/// <summary>
/// PngReader on files written by an independent encoder: a tiny Python encoder that forces each
/// filter type (checked against PIL's decoder when the fixtures were made) and PIL itself.
/// Expected pixels are the arrays the script encoded.
/// </summary>
public class PngReaderTests
{
    [Theory]
    [InlineData("filter0_rgb")]
    [InlineData("filter1_rgb")]
    [InlineData("filter2_rgb")]
    [InlineData("filter3_rgb")]
    [InlineData("filter4_rgb")]
    [InlineData("mixed_filters_rgba_3idat")]
    [InlineData("gray")]
    [InlineData("gray_alpha")]
    [InlineData("palette")]
    [InlineData("palette_trns")]
    [InlineData("pil_text")]
    public void DecodesThePixelsTheEncoderWasGiven(string name)
    {
        var png = PngReader.Read(ImagingFixtures.Path(name + ".png"));
        ImagingFixtures.AssertSamePixels(ImagingFixtures.LoadPixels(name + ".npy"), png.Image);
    }

    [Fact]
    public void ReadsTextChunksAsPilWritesThem()
    {
        var png = PngReader.Read(ImagingFixtures.Path("pil_text.png"));
        Assert.Equal(
            "a photo of a cat, best quality\nNegative prompt: blurry\n" +
            "Steps: 50, Sampler: DDIM, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: stable-diffusion-v1-5",
            png.GetText("parameters"));
        Assert.Equal("café", png.GetText("Software"));
        var parameters = png.Parameters!;
        Assert.Equal("a photo of a cat, best quality", parameters.Prompt);
        Assert.Equal("blurry", parameters.NegativePrompt);
        Assert.Equal(50, parameters.Steps);
        Assert.Equal(7.5, parameters.CfgScale);
        Assert.Equal(42UL, parameters.Seed);
        Assert.Equal((512, 512), (parameters.Width!.Value, parameters.Height!.Value));
    }

    [Fact]
    public void ReadsITxtAndZTxtChunks()
    {
        var png = PngReader.Read(ImagingFixtures.Path("pil_itxt_ztxt.png"));
        Assert.Equal("一只猫的照片 🐱\nSteps: 20, Sampler: Euler, CFG scale: 7.0, Seed: 1", png.GetText("parameters"));
        Assert.Equal(string.Concat(Enumerable.Repeat("compressed text ", 20)), png.GetText("Comment"));
        Assert.Equal("Überschrift ✓", png.GetText("Title"));
        Assert.Equal(new[] { "parameters", "Comment", "Title" }, png.Text.Select(t => t.Keyword));
    }

    [Theory]
    [InlineData("interlaced_rgb.png", typeof(NotSupportedException), "interlaced")]
    [InlineData("gray16_pil.png", typeof(NotSupportedException), "16-bit")]
    [InlineData("gray4bit.png", typeof(NotSupportedException), "4-bit")]
    [InlineData("palette_bad_index.png", typeof(InvalidDataException), "palette index 9")]
    public void RefusesUnsupportedOrCorruptFilesNamingThem(string name, Type exceptionType, string reason)
    {
        var error = Assert.Throws(exceptionType, () => PngReader.Read(ImagingFixtures.Path(name)));
        Assert.Contains(name, error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void DetectsACorruptedByteThroughTheCrc()
    {
        byte[] png = File.ReadAllBytes(ImagingFixtures.Path("filter4_rgb.png"));
        int idat = FindChunk(png, "IDAT");
        png[idat + 8 + 3] ^= 0x10; // flip one bit inside the IDAT data
        var error = Assert.Throws<InvalidDataException>(() => PngReader.Decode(png, "flipped.png"));
        Assert.Contains("flipped.png", error.Message);
        Assert.Contains("CRC mismatch in chunk 'IDAT'", error.Message);
    }

    [Fact]
    public void DetectsBadCompressedDataWithAValidCrc()
    {
        byte[] png = File.ReadAllBytes(ImagingFixtures.Path("filter1_rgb.png"));
        int idat = FindChunk(png, "IDAT");
        int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(idat));
        png[idat + 8 + 2] = 0xFF; // first deflate block: BTYPE 11, which is reserved (invalid)
        RewriteCrc(png, idat, length);
        var error = Assert.Throws<InvalidDataException>(() => PngReader.Decode(png, "badzlib.png"));
        Assert.Contains("badzlib.png", error.Message);
    }

    [Fact]
    public void DetectsTruncationAndNonPngFiles()
    {
        byte[] png = File.ReadAllBytes(ImagingFixtures.Path("gray.png"));
        var truncated = Assert.Throws<InvalidDataException>(() => PngReader.Decode(png.AsSpan(0, png.Length - 20), "cut.png"));
        Assert.Contains("cut.png", truncated.Message);
        Assert.Contains("truncated", truncated.Message);

        var notPng = Assert.Throws<InvalidDataException>(() => PngReader.Decode("GIF89a......"u8, "cat.gif"));
        Assert.Contains("cat.gif", notPng.Message);
        Assert.Contains("not a PNG", notPng.Message);

        var missing = Assert.Throws<FileNotFoundException>(() => PngReader.Read(ImagingFixtures.Path("nope.png")));
        Assert.Contains("nope.png", missing.Message);
    }

    [Fact]
    public void DetectsAnUnknownFilterType()
    {
        // A 1x1 gray image whose only row claims filter type 7, encoded here with a valid CRC.
        var row = new byte[] { 7, 42 };
        byte[] png = MinimalPng(width: 1, height: 1, colorType: 0, row);
        var error = Assert.Throws<InvalidDataException>(() => PngReader.Decode(png, "filter7.png"));
        Assert.Contains("unknown filter type 7", error.Message);
    }

    private static byte[] MinimalPng(int width, int height, byte colorType, byte[] scanlines)
    {
        using var compressed = new MemoryStream();
        using (var z = new System.IO.Compression.ZLibStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
            z.Write(scanlines);
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = colorType;
        WriteChunk(png, "IHDR", ihdr);
        WriteChunk(png, "IDAT", compressed.ToArray());
        WriteChunk(png, "IEND", []);
        return png.ToArray();
    }

    private static void WriteChunk(Stream s, string type, byte[] data)
    {
        var buffer = new byte[12 + data.Length];
        BinaryPrimitives.WriteInt32BigEndian(buffer, data.Length);
        System.Text.Encoding.ASCII.GetBytes(type, buffer.AsSpan(4));
        data.CopyTo(buffer, 8);
        RewriteCrc(buffer, 0, data.Length);
        s.Write(buffer);
    }

    /// <summary>Recomputes a chunk's CRC with System.IO.Hashing-free bitwise CRC-32 (independent of the library's table).</summary>
    private static void RewriteCrc(byte[] png, int chunkStart, int length)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in png.AsSpan(chunkStart + 4, 4 + length))
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(chunkStart + 8 + length), ~crc);
    }

    private static int FindChunk(byte[] png, string type)
    {
        int offset = 8;
        while (offset < png.Length)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(offset));
            if (System.Text.Encoding.ASCII.GetString(png, offset + 4, 4) == type)
                return offset;
            offset += 12 + length;
        }
        throw new InvalidOperationException($"no {type} chunk");
    }
}
