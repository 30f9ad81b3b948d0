using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;

namespace OrtDiffusion.IO;

/// <summary>
/// Reads and writes NumPy <c>.npy</c> files (format versions 1.0, 2.0 and 3.0) holding
/// little-endian, C-ordered float32, float16, float64, int32, int64, uint8 or bool arrays.
/// Files written here are byte-identical to what <c>numpy.save</c> writes for the same array.
/// </summary>
public static class NpyFile
{
    /// <summary>Reads a <c>.npy</c> file.</summary>
    /// <param name="path">The file.</param>
    /// <returns>The array with its shape and typed data.</returns>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid .npy file, is truncated, or has more data than its shape says.</exception>
    /// <exception cref="NotSupportedException">Fortran order, big-endian, object, structured or other unsupported dtypes.</exception>
    public static NpyArray Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"The .npy file '{path}' does not exist.", path);
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        var array = Read(stream, path);
        if (stream.Position != stream.Length)
            throw new InvalidDataException(
                $"'{path}': shape {array.ShapeText} of {array.ElementType.Descriptor()} needs {array.Length * array.ElementType.Size()} data bytes, " +
                $"but the file has {stream.Length - stream.Position} more bytes after them (shape and data do not match).");
        return array;
    }

    /// <summary>Reads one array from <paramref name="stream"/>, leaving the stream just after its data.</summary>
    /// <param name="stream">Positioned at the magic string.</param>
    /// <param name="sourceName">Names the source in error messages (e.g. a file path).</param>
    public static NpyArray Read(Stream stream, string sourceName = "<stream>")
    {
        ArgumentNullException.ThrowIfNull(stream);
        Span<byte> prefix = stackalloc byte[10];
        int got = ReadFully(stream, prefix[..8]);
        if (got < 8 || !prefix[..6].SequenceEqual(NpyHeader.Magic))
            throw new InvalidDataException($"'{sourceName}' is not a .npy file (it does not start with \\x93NUMPY).");
        byte major = prefix[6], minor = prefix[7];
        int headerLength;
        switch (major)
        {
            case 1:
                if (ReadFully(stream, prefix.Slice(8, 2)) < 2)
                    throw Truncated(sourceName, "header length");
                headerLength = BinaryPrimitives.ReadUInt16LittleEndian(prefix.Slice(8, 2));
                break;
            case 2:
            case 3:
                Span<byte> len = stackalloc byte[4];
                if (ReadFully(stream, len) < 4)
                    throw Truncated(sourceName, "header length");
                uint length = BinaryPrimitives.ReadUInt32LittleEndian(len);
                if (length > int.MaxValue)
                    throw new InvalidDataException($"'{sourceName}': .npy header length {length} is implausible.");
                headerLength = (int)length;
                break;
            default:
                throw new NotSupportedException($"'{sourceName}': .npy format version {major}.{minor} is not supported (1.0, 2.0 and 3.0 are).");
        }

        var headerBytes = new byte[headerLength];
        if (ReadFully(stream, headerBytes) < headerLength)
            throw Truncated(sourceName, $"header ({headerLength} bytes)");
        // Versions 1 and 2 store the header in Latin-1, version 3 in UTF-8.
        string headerText = major == 3 ? Encoding.UTF8.GetString(headerBytes) : Encoding.Latin1.GetString(headerBytes);
        var header = NpyHeader.Parse(headerText, sourceName);

        var type = NpyElementTypes.FromDescriptor(header.Descr, out string? reason)
            ?? throw new NotSupportedException($"'{sourceName}': {reason}.");
        if (header.FortranOrder && header.Shape.Count(d => d != 1) > 1)
            throw new NotSupportedException(
                $"'{sourceName}': Fortran-ordered arrays are not supported (shape {NpyArray.FormatShape(header.Shape)}); save with np.ascontiguousarray(arr).");

        long count;
        try
        {
            count = NpyArray.ElementCount(header.Shape);
        }
        catch (OverflowException)
        {
            throw new InvalidDataException($"'{sourceName}': shape {NpyArray.FormatShape(header.Shape)} has too many elements.");
        }
        if (count > Array.MaxLength)
            throw new NotSupportedException(
                $"'{sourceName}': shape {NpyArray.FormatShape(header.Shape)} has {count} elements, more than a .NET array holds ({Array.MaxLength}).");

        Array data = ReadData(stream, type, (int)count, sourceName);
        return NpyArray.FromTrusted(data, type, header.Shape);
    }

    /// <summary>Writes <paramref name="array"/> to <paramref name="path"/> atomically (see <see cref="AtomicFile"/>).</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="array">The array.</param>
    public static void Write(string path, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(array);
        AtomicFile.Write(path, stream => Write(stream, array));
    }

    /// <summary>Writes a float32 array with the given shape to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The file to create or replace.</param>
    /// <param name="data">The elements in C order.</param>
    /// <param name="shape">The dimensions; their product must equal the data length.</param>
    public static void Write(string path, float[] data, params long[] shape) => Write(path, NpyArray.Create(data, shape));

    /// <summary>Writes <paramref name="array"/> in .npy format to <paramref name="stream"/>.</summary>
    /// <param name="stream">The destination, left open.</param>
    /// <param name="array">The array.</param>
    public static void Write(Stream stream, NpyArray array)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(array);
        stream.Write(NpyHeader.Format(array.ElementType, array.Shape));
        switch (array.Data)
        {
            case float[] f: WriteElements<float>(stream, f); break;
            case Half[] h: WriteElements<Half>(stream, h); break;
            case double[] d: WriteElements<double>(stream, d); break;
            case int[] i: WriteElements<int>(stream, i); break;
            case long[] l: WriteElements<long>(stream, l); break;
            case byte[] b: stream.Write(b); break;
            case bool[] z:
                // .NET does not promise a bool is stored as 0/1, numpy expects exactly that.
                var bytes = new byte[z.Length];
                for (int k = 0; k < z.Length; k++)
                    bytes[k] = z[k] ? (byte)1 : (byte)0;
                stream.Write(bytes);
                break;
            default:
                throw new InvalidOperationException($"Unexpected data type {array.Data.GetType()}.");
        }
    }

    private static void WriteElements<T>(Stream stream, T[] data) where T : unmanaged
    {
        EnsureLittleEndian();
        stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
    }

    private static Array ReadData(Stream stream, NpyElementType type, int count, string source)
    {
        EnsureLittleEndian();
        long byteCount = (long)count * type.Size();
        switch (type)
        {
            case NpyElementType.Float32: return ReadElements<float>(stream, count, byteCount, source);
            case NpyElementType.Float16: return ReadElements<Half>(stream, count, byteCount, source);
            case NpyElementType.Float64: return ReadElements<double>(stream, count, byteCount, source);
            case NpyElementType.Int32: return ReadElements<int>(stream, count, byteCount, source);
            case NpyElementType.Int64: return ReadElements<long>(stream, count, byteCount, source);
            case NpyElementType.UInt8: return ReadElements<byte>(stream, count, byteCount, source);
            case NpyElementType.Bool:
                byte[] raw = ReadElements<byte>(stream, count, byteCount, source);
                var result = new bool[count];
                for (int k = 0; k < count; k++)
                    result[k] = raw[k] != 0;
                return result;
            default:
                throw new InvalidOperationException($"Unexpected element type {type}.");
        }
    }

    private static T[] ReadElements<T>(Stream stream, int count, long byteCount, string source) where T : unmanaged
    {
        var data = new T[count];
        int got = ReadFully(stream, MemoryMarshal.AsBytes(data.AsSpan()));
        if (got < byteCount)
            throw new InvalidDataException(
                $"'{source}' is truncated: its shape needs {byteCount} data bytes but only {got} follow the header (shape and data do not match).");
        return data;
    }

    private static int ReadFully(Stream stream, Span<byte> buffer)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = stream.Read(buffer[total..]);
            if (n == 0)
                break;
            total += n;
        }
        return total;
    }

    private static InvalidDataException Truncated(string source, string what) =>
        new($"'{source}' is truncated: the .npy {what} is incomplete.");

    private static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("NpyFile needs a little-endian machine.");
    }
}
