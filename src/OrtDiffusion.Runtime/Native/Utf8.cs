using System.Runtime.InteropServices;
using System.Text;

namespace OrtDiffusion.Runtime.Native;

/// <summary>Conversions between .NET strings and the NUL-terminated UTF-8 strings of the C API.</summary>
internal static unsafe class Utf8
{
    /// <summary>Reads a NUL-terminated UTF-8 string; null for a null pointer.</summary>
    public static string? ToString(byte* text) =>
        text is null ? null : Marshal.PtrToStringUTF8((IntPtr)text);

    /// <summary>Encodes <paramref name="text"/> into <paramref name="buffer"/> with a trailing NUL.</summary>
    public static int Encode(string text, Span<byte> buffer)
    {
        var written = Encoding.UTF8.GetBytes(text, buffer);
        buffer[written] = 0;
        return written + 1;
    }

    /// <summary>Bytes needed for <paramref name="text"/> including the trailing NUL.</summary>
    public static int SizeWithNul(string text) => Encoding.UTF8.GetByteCount(text) + 1;

    /// <summary>A NUL-terminated copy of <paramref name="text"/> (for calls that are not on a hot path).</summary>
    public static byte[] NulTerminated(string text)
    {
        var bytes = new byte[SizeWithNul(text)];
        Encode(text, bytes);
        return bytes;
    }
}
