using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace OrtDiffusion.Imaging;

/// <summary>
/// Reads 8-bit, non-interlaced PNG files: gray, gray + alpha, RGB, RGBA and palette (with
/// <c>tRNS</c> alpha), any filter types, any number of IDAT chunks, every chunk's CRC checked,
/// text chunks returned. Interlaced, 16-bit, sub-byte or corrupt files are refused with an
/// exception naming the file and the problem.
/// </summary>
public static class PngReader
{
    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Reads a PNG file.</summary>
    /// <param name="path">The file.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a PNG, is truncated, or is corrupt (bad CRC, bad compressed data, bad filter).</exception>
    /// <exception cref="NotSupportedException">Interlaced, 16-bit or sub-byte images, or an unknown critical chunk.</exception>
    public static PngImage Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The PNG file '{path}' does not exist.", path);
        return Decode(File.ReadAllBytes(path), path);
    }

    /// <summary>Reads a PNG from <paramref name="stream"/> (to its end).</summary>
    /// <param name="stream">The PNG bytes.</param>
    /// <param name="sourceName">Names the source in error messages.</param>
    public static PngImage Read(Stream stream, string sourceName = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return Decode(buffer.ToArray(), sourceName);
    }

    /// <summary>Decodes PNG bytes.</summary>
    /// <param name="png">The complete file content.</param>
    /// <param name="sourceName">Names the source in error messages.</param>
    public static PngImage Decode(ReadOnlySpan<byte> png, string sourceName = "<memory>")
    {
        if (png.Length < Signature.Length || !png[..Signature.Length].SequenceEqual(Signature))
            throw new InvalidDataException($"'{sourceName}' is not a PNG file (the 8-byte PNG signature is missing).");

        Header? header = null;
        byte[]? palette = null;
        byte[]? paletteAlpha = null;
        var idat = new MemoryStream();
        var text = new List<PngText>();
        bool ended = false;
        int offset = Signature.Length;

        while (!ended)
        {
            if (png.Length - offset < 12)
                throw new InvalidDataException($"'{sourceName}' is truncated: it ends at byte {png.Length} before the IEND chunk.");
            uint length = BinaryPrimitives.ReadUInt32BigEndian(png[offset..]);
            string type = Encoding.Latin1.GetString(png.Slice(offset + 4, 4));
            if (length > int.MaxValue || png.Length - offset - 12 < length)
                throw new InvalidDataException($"'{sourceName}' is truncated: chunk '{type}' at byte {offset} declares {length} bytes that the file does not hold.");
            var data = png.Slice(offset + 8, (int)length);
            uint storedCrc = BinaryPrimitives.ReadUInt32BigEndian(png[(offset + 8 + (int)length)..]);
            uint actualCrc = Crc32.Compute(png.Slice(offset + 4, 4 + (int)length));
            if (storedCrc != actualCrc)
                throw new InvalidDataException(
                    $"'{sourceName}' is corrupt: CRC mismatch in chunk '{type}' at byte {offset} (stored {storedCrc:X8}, computed {actualCrc:X8}).");

            if (header is null && type != "IHDR")
                throw new InvalidDataException($"'{sourceName}' is not a valid PNG: the first chunk is '{type}', not IHDR.");

            switch (type)
            {
                case "IHDR":
                    header = ParseHeader(data, sourceName);
                    break;
                case "PLTE":
                    if (data.Length % 3 != 0 || data.Length == 0 || data.Length > 256 * 3)
                        throw new InvalidDataException($"'{sourceName}' has an invalid PLTE chunk of {data.Length} bytes.");
                    palette = data.ToArray();
                    break;
                case "tRNS":
                    // Only palette transparency is applied; a gray/RGB colour key is ignored.
                    if (header!.Value.ColorType == 3)
                        paletteAlpha = data.ToArray();
                    break;
                case "IDAT":
                    idat.Write(data);
                    break;
                case "IEND":
                    ended = true;
                    break;
                case "tEXt":
                case "zTXt":
                case "iTXt":
                    text.Add(PngTextChunks.Decode(type, data, sourceName));
                    break;
                default:
                    // A lowercase first letter marks an ancillary chunk, which a decoder may skip.
                    if (char.IsAsciiLetterUpper(type[0]))
                        throw new NotSupportedException($"'{sourceName}' has the critical chunk '{type}', which this reader does not know.");
                    break;
            }
            offset += 12 + (int)length;
        }

        var h = header!.Value;
        if (idat.Length == 0)
            throw new InvalidDataException($"'{sourceName}' has no image data (no IDAT chunk).");
        byte[] raw = Inflate(idat, h, sourceName);
        return new PngImage(Unfilter(raw, h, palette, paletteAlpha, sourceName), text);
    }

    private readonly record struct Header(int Width, int Height, int BitDepth, int ColorType)
    {
        public int Channels => ColorType switch { 0 => 1, 2 => 3, 3 => 1, 4 => 2, _ => 4 };
        public long Stride => (long)Width * Channels;
    }

    private static Header ParseHeader(ReadOnlySpan<byte> data, string source)
    {
        if (data.Length != 13)
            throw new InvalidDataException($"'{source}' has an IHDR chunk of {data.Length} bytes instead of 13.");
        uint width = BinaryPrimitives.ReadUInt32BigEndian(data);
        uint height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
        int bitDepth = data[8], colorType = data[9], compression = data[10], filter = data[11], interlace = data[12];
        if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
            throw new InvalidDataException($"'{source}' declares an invalid size {width}x{height}.");
        if (colorType is not (0 or 2 or 3 or 4 or 6))
            throw new InvalidDataException($"'{source}' declares the invalid colour type {colorType}.");
        if (compression != 0 || filter != 0)
            throw new InvalidDataException($"'{source}' declares unknown compression ({compression}) or filter ({filter}) methods.");
        if (interlace != 0)
            throw new NotSupportedException($"'{source}' is interlaced (Adam7), which this reader does not support; re-save it non-interlaced.");
        if (bitDepth != 8)
            throw new NotSupportedException(
                $"'{source}' has {bitDepth}-bit samples (colour type {colorType}); only 8-bit PNGs are supported.");
        var header = new Header((int)width, (int)height, bitDepth, colorType);
        if ((header.Stride + 1) * header.Height > Array.MaxLength)
            throw new NotSupportedException($"'{source}' is too large ({width}x{height}) to decode into one array.");
        return header;
    }

    private static byte[] Inflate(MemoryStream idat, Header h, string source)
    {
        long expected = (h.Stride + 1) * h.Height;
        var raw = new byte[expected];
        idat.Position = 0;
        int total = 0;
        try
        {
            using var zlib = new ZLibStream(idat, CompressionMode.Decompress);
            while (total < raw.Length)
            {
                int n = zlib.Read(raw, total, raw.Length - total);
                if (n == 0)
                    break;
                total += n;
            }
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{source}' is corrupt: its compressed image data cannot be inflated ({e.Message}).", e);
        }
        if (total < expected)
            throw new InvalidDataException(
                $"'{source}' is truncated: its image data inflates to {total} bytes but a {h.Width}x{h.Height} image needs {expected}.");
        return raw;
    }

    private static PixelImage Unfilter(byte[] raw, Header h, byte[]? palette, byte[]? paletteAlpha, string source)
    {
        int stride = (int)h.Stride;
        int bpp = h.Channels;
        var samples = new byte[(long)stride * h.Height];
        var zeros = new byte[stride];
        for (int y = 0; y < h.Height; y++)
        {
            int filterType = raw[y * (stride + 1)];
            raw.AsSpan(y * (stride + 1) + 1, stride).CopyTo(samples.AsSpan(y * stride, stride));
            var row = samples.AsSpan(y * stride, stride);
            ReadOnlySpan<byte> prev = y == 0 ? zeros : samples.AsSpan((y - 1) * stride, stride);
            if (!PngFilters.Reverse(filterType, row, prev, bpp))
                throw new InvalidDataException($"'{source}' is corrupt: row {y} uses the unknown filter type {filterType}.");
        }

        return h.ColorType switch
        {
            0 => new PixelImage(h.Width, h.Height, PixelFormat.Gray, samples),
            4 => new PixelImage(h.Width, h.Height, PixelFormat.GrayAlpha, samples),
            2 => new PixelImage(h.Width, h.Height, PixelFormat.Rgb, samples),
            6 => new PixelImage(h.Width, h.Height, PixelFormat.Rgba, samples),
            _ => ExpandPalette(samples, h, palette, paletteAlpha, source),
        };
    }

    private static PixelImage ExpandPalette(byte[] indices, Header h, byte[]? palette, byte[]? alpha, string source)
    {
        if (palette is null)
            throw new InvalidDataException($"'{source}' is a palette image without a PLTE chunk.");
        int entries = palette.Length / 3;
        if (alpha is not null && alpha.Length > entries)
            throw new InvalidDataException($"'{source}' has {alpha.Length} tRNS entries for a palette of {entries}.");
        bool hasAlpha = alpha is not null;
        int channels = hasAlpha ? 4 : 3;
        var pixels = new byte[(long)indices.Length * channels];
        for (int p = 0; p < indices.Length; p++)
        {
            int index = indices[p];
            if (index >= entries)
                throw new InvalidDataException(
                    $"'{source}' is corrupt: pixel ({p % h.Width}, {p / h.Width}) uses palette index {index} but the palette has {entries} entries.");
            pixels[p * channels] = palette[index * 3];
            pixels[p * channels + 1] = palette[index * 3 + 1];
            pixels[p * channels + 2] = palette[index * 3 + 2];
            if (hasAlpha)
                pixels[p * channels + 3] = index < alpha!.Length ? alpha[index] : (byte)255;
        }
        return new PixelImage(h.Width, h.Height, hasAlpha ? PixelFormat.Rgba : PixelFormat.Rgb, pixels);
    }
}
