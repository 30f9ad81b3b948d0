using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using OrtDiffusion.IO;

namespace OrtDiffusion.Imaging;

/// <summary>
/// Writes 8-bit, non-interlaced PNG files (RGB, RGBA, gray, gray + alpha) with text chunks.
/// Text is stored the way PIL's <c>PngInfo.add_text</c> (and so AUTOMATIC1111) stores it:
/// a <c>tEXt</c> chunk when the text is Latin-1, otherwise an uncompressed UTF-8 <c>iTXt</c>.
/// </summary>
public static class PngWriter
{
    /// <summary>Largest IDAT chunk written; larger images use several (any PNG reader joins them).</summary>
    private const int IdatChunkSize = 1 << 18;

    private static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Writes <paramref name="image"/> to <paramref name="path"/> atomically (see <see cref="AtomicFile"/>).</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="image">The image.</param>
    /// <param name="text">Text chunks, in order; written before the image data.</param>
    /// <param name="cancellationToken">Cancels before the file is renamed into place.</param>
    public static void Write(string path, PixelImage image, IEnumerable<PngText>? text = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        var chunks = ValidateText(text);
        AtomicFile.Write(path, stream => Encode(stream, image, chunks), cancellationToken);
    }

    /// <summary>
    /// Writes <paramref name="image"/> with its generation parameters in a <c>parameters</c>
    /// text chunk, as AUTOMATIC1111 and other Stable Diffusion tools do.
    /// </summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="image">The image.</param>
    /// <param name="parameters">Formatted with <see cref="GenerationParameters.Format"/>.</param>
    /// <param name="extraText">Further text chunks after <c>parameters</c>.</param>
    /// <param name="cancellationToken">Cancels before the file is renamed into place.</param>
    public static void Write(string path, PixelImage image, GenerationParameters parameters,
        IEnumerable<PngText>? extraText = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var text = new List<PngText> { new(GenerationParameters.PngKeyword, parameters.Format()) };
        if (extraText is not null)
            text.AddRange(extraText);
        Write(path, image, text, cancellationToken);
    }

    /// <summary>Encodes <paramref name="image"/> as PNG into a new byte array.</summary>
    /// <param name="image">The image.</param>
    /// <param name="text">Text chunks, in order.</param>
    public static byte[] Encode(PixelImage image, IEnumerable<PngText>? text = null)
    {
        using var stream = new MemoryStream();
        Encode(stream, image, text);
        return stream.ToArray();
    }

    /// <summary>Encodes <paramref name="image"/> as PNG into <paramref name="stream"/> (left open).</summary>
    /// <param name="stream">The destination.</param>
    /// <param name="image">The image.</param>
    /// <param name="text">Text chunks, in order.</param>
    public static void Encode(Stream stream, PixelImage image, IEnumerable<PngText>? text = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(image);
        Encode(stream, image, ValidateText(text));
    }

    private static void Encode(Stream stream, PixelImage image, List<RawChunk> chunks)
    {
        stream.Write(Signature);
        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], image.Height);
        header[8] = 8; // bit depth
        header[9] = ColorType(image.Format);
        header[10] = 0; // deflate
        header[11] = 0; // adaptive filtering
        header[12] = 0; // not interlaced
        WriteChunk(stream, "IHDR", header);

        foreach (var entry in chunks)
            WriteChunk(stream, entry.Type, entry.Data);

        byte[] compressed = CompressScanlines(image);
        for (int offset = 0; offset < compressed.Length; offset += IdatChunkSize)
            WriteChunk(stream, "IDAT", compressed.AsSpan(offset, Math.Min(IdatChunkSize, compressed.Length - offset)));
        WriteChunk(stream, "IEND", []);
    }

    internal static byte ColorType(PixelFormat format) => format switch
    {
        PixelFormat.Gray => 0,
        PixelFormat.Rgb => 2,
        PixelFormat.GrayAlpha => 4,
        PixelFormat.Rgba => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown pixel format."),
    };

    private static byte[] CompressScanlines(PixelImage image)
    {
        int stride = image.Stride;
        int bpp = image.ChannelCount;
        var filtered = new byte[stride + 1];
        var scratch = new byte[stride];
        var zeros = new byte[stride];
        using var output = new MemoryStream();
        using (var zlib = new ZLibStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (int y = 0; y < image.Height; y++)
            {
                var row = image.Pixels.AsSpan(y * stride, stride);
                var prev = y == 0 ? zeros : image.Pixels.AsSpan((y - 1) * stride, stride);
                PngFilters.FilterBest(row, prev, bpp, filtered, scratch);
                zlib.Write(filtered);
            }
        }
        return output.ToArray();
    }

    private readonly record struct RawChunk(string Type, byte[] Data);

    private static List<RawChunk> ValidateText(IEnumerable<PngText>? text)
    {
        var chunks = new List<RawChunk>();
        if (text is null)
            return chunks;
        foreach (var entry in text)
        {
            ArgumentNullException.ThrowIfNull(entry);
            ValidateKeyword(entry.Keyword);
            ArgumentNullException.ThrowIfNull(entry.Text);
            if (entry.Text.Contains('\0'))
                throw new ArgumentException($"PNG text '{entry.Keyword}' contains a NUL character, which PNG text chunks cannot hold.");
            byte[] keyword = Encoding.Latin1.GetBytes(entry.Keyword);
            if (IsLatin1(entry.Text))
            {
                // tEXt: keyword, NUL, Latin-1 text.
                chunks.Add(new RawChunk("tEXt", [.. keyword, 0, .. Encoding.Latin1.GetBytes(entry.Text)]));
            }
            else
            {
                // iTXt: keyword, NUL, compression flag 0, method 0, empty language, NUL, empty translated keyword, NUL, UTF-8 text.
                chunks.Add(new RawChunk("iTXt", [.. keyword, 0, 0, 0, 0, 0, .. Encoding.UTF8.GetBytes(entry.Text)]));
            }
        }
        return chunks;
    }

    private static void ValidateKeyword(string keyword)
    {
        if (string.IsNullOrEmpty(keyword) || keyword.Length > 79)
            throw new ArgumentException($"PNG text keyword '{keyword}' must be 1 to 79 characters long.");
        foreach (char c in keyword)
        {
            if (!(c is >= ' ' and <= '~' || c is >= '\u00A1' and <= '\u00FF'))
                throw new ArgumentException($"PNG text keyword '{keyword}' may only hold printable Latin-1 characters.");
        }
    }

    private static bool IsLatin1(string text)
    {
        foreach (char c in text)
        {
            if (c > '\u00FF')
                return false;
        }
        return true;
    }

    private static void WriteChunk(Stream stream, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> head = stackalloc byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, data.Length);
        Encoding.ASCII.GetBytes(type, head[4..]);
        uint crc = Crc32.Update(Crc32.Compute(head[4..]), data);
        stream.Write(head);
        stream.Write(data);
        Span<byte> tail = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        stream.Write(tail);
    }
}
