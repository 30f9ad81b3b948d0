using System.IO.Compression;
using System.Text;

namespace OrtDiffusion.Imaging;

/// <summary>Decodes the three PNG text chunk types.</summary>
internal static class PngTextChunks
{
    /// <summary>
    /// tEXt: keyword NUL Latin-1 text. zTXt: keyword NUL method compressed-Latin-1.
    /// iTXt: keyword NUL flag method language NUL translated-keyword NUL (compressed) UTF-8 text.
    /// </summary>
    public static PngText Decode(string type, ReadOnlySpan<byte> data, string source)
    {
        int nul = data.IndexOf((byte)0);
        if (nul <= 0)
            throw new InvalidDataException($"'{source}' has a {type} chunk without a keyword.");
        string keyword = Encoding.Latin1.GetString(data[..nul]);
        var rest = data[(nul + 1)..];
        switch (type)
        {
            case "tEXt":
                return new PngText(keyword, Encoding.Latin1.GetString(rest));
            case "zTXt":
                if (rest.Length < 1 || rest[0] != 0)
                    throw new InvalidDataException($"'{source}': zTXt chunk '{keyword}' uses an unknown compression method.");
                return new PngText(keyword, Encoding.Latin1.GetString(Inflate(rest[1..], keyword, source)));
            default:
                if (rest.Length < 2)
                    throw new InvalidDataException($"'{source}': iTXt chunk '{keyword}' is too short.");
                bool compressed = rest[0] != 0;
                if (compressed && rest[1] != 0)
                    throw new InvalidDataException($"'{source}': iTXt chunk '{keyword}' uses an unknown compression method.");
                rest = rest[2..];
                int langEnd = rest.IndexOf((byte)0);
                if (langEnd < 0)
                    throw new InvalidDataException($"'{source}': iTXt chunk '{keyword}' has no language tag terminator.");
                rest = rest[(langEnd + 1)..];
                int tkeyEnd = rest.IndexOf((byte)0);
                if (tkeyEnd < 0)
                    throw new InvalidDataException($"'{source}': iTXt chunk '{keyword}' has no translated keyword terminator.");
                rest = rest[(tkeyEnd + 1)..];
                return new PngText(keyword, Encoding.UTF8.GetString(compressed ? Inflate(rest, keyword, source) : rest));
        }
    }

    private static byte[] Inflate(ReadOnlySpan<byte> data, string keyword, string source)
    {
        try
        {
            using var input = new MemoryStream(data.ToArray());
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            using var output = new MemoryStream();
            zlib.CopyTo(output);
            return output.ToArray();
        }
        catch (InvalidDataException e)
        {
            throw new InvalidDataException($"'{source}': compressed text chunk '{keyword}' is corrupt ({e.Message}).", e);
        }
    }
}
