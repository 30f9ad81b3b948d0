using System.Runtime.InteropServices;
using Google.Protobuf;
using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Onnx.IO;

/// <summary>Creates <see cref="TensorProto"/> values from arrays and reads their data back, inline or external.</summary>
public static class TensorProtos
{
    /// <summary>A tensor holding <paramref name="data"/> as little-endian raw bytes.</summary>
    public static TensorProto Create<T>(string name, ReadOnlySpan<T> data, ReadOnlySpan<long> dims)
        where T : unmanaged
    {
        var type = ElementTypeOf<T>();
        CheckCount(name, data.Length, dims);
        var tensor = new TensorProto { Name = name, DataType = (int)type };
        foreach (var d in dims)
        {
            tensor.Dims.Add(d);
        }

        tensor.RawData = ByteString.CopyFrom(MemoryMarshal.AsBytes(data));
        return tensor;
    }

    /// <summary>The element type of a tensor.</summary>
    public static ElementType TypeOf(TensorProto tensor) => (ElementType)tensor.DataType;

    /// <summary>The dimensions of a tensor.</summary>
    public static long[] DimsOf(TensorProto tensor) => [.. tensor.Dims];

    /// <summary>The number of elements a tensor holds according to its dims.</summary>
    public static long ElementCount(TensorProto tensor)
    {
        long count = 1;
        foreach (var d in tensor.Dims)
        {
            count *= d;
        }

        return count;
    }

    /// <summary>
    /// Reads a tensor's elements. External data is read from <paramref name="modelDirectory"/>, only this tensor's bytes.
    /// </summary>
    public static T[] Read<T>(TensorProto tensor, string? modelDirectory = null)
        where T : unmanaged
    {
        var expected = ElementTypeOf<T>();
        if (TypeOf(tensor) != expected)
        {
            throw new InvalidDataException($"Initializer '{tensor.Name}' holds {ElementTypes.Name(TypeOf(tensor))}, not {ElementTypes.Name(expected)}.");
        }

        var count = checked((int)ElementCount(tensor));
        var external = ExternalDataReference.From(tensor);
        if (external is not null)
        {
            return ReadExternal<T>(tensor, external, modelDirectory, count);
        }

        if (!tensor.RawData.IsEmpty)
        {
            var bytes = tensor.RawData.Span;
            if (bytes.Length != count * Marshal.SizeOf<T>())
            {
                throw new InvalidDataException($"Initializer '{tensor.Name}' has {bytes.Length} raw bytes but its dims [{string.Join(",", tensor.Dims)}] need {count * Marshal.SizeOf<T>()}.");
            }

            return MemoryMarshal.Cast<byte, T>(bytes).ToArray();
        }

        return ReadTypedField<T>(tensor, count);
    }

    /// <summary>Reads any floating-point tensor (float, float16, double) as float.</summary>
    public static float[] ReadAsFloat(TensorProto tensor, string? modelDirectory = null) => TypeOf(tensor) switch
    {
        ElementType.Float => Read<float>(tensor, modelDirectory),
        ElementType.Float16 => Array.ConvertAll(Read<Half>(tensor, modelDirectory), h => (float)h),
        ElementType.Double => Array.ConvertAll(Read<double>(tensor, modelDirectory), d => (float)d),
        var t => throw new InvalidDataException($"Initializer '{tensor.Name}' holds {ElementTypes.Name(t)}, not a floating-point type."),
    };

    /// <summary>Reads any integer tensor (int32, int64) as long.</summary>
    public static long[] ReadAsInt64(TensorProto tensor, string? modelDirectory = null) => TypeOf(tensor) switch
    {
        ElementType.Int64 => Read<long>(tensor, modelDirectory),
        ElementType.Int32 => Array.ConvertAll(Read<int>(tensor, modelDirectory), i => (long)i),
        var t => throw new InvalidDataException($"Initializer '{tensor.Name}' holds {ElementTypes.Name(t)}, not an integer type."),
    };

    /// <summary>The ONNX element type of a CLR type.</summary>
    public static ElementType ElementTypeOf<T>()
        where T : unmanaged => typeof(T) switch
    {
        var t when t == typeof(float) => ElementType.Float,
        var t when t == typeof(Half) => ElementType.Float16,
        var t when t == typeof(double) => ElementType.Double,
        var t when t == typeof(long) => ElementType.Int64,
        var t when t == typeof(int) => ElementType.Int32,
        var t when t == typeof(short) => ElementType.Int16,
        var t when t == typeof(sbyte) => ElementType.Int8,
        var t when t == typeof(byte) => ElementType.UInt8,
        var t when t == typeof(bool) => ElementType.Bool,
        var t when t == typeof(ulong) => ElementType.UInt64,
        var t when t == typeof(uint) => ElementType.UInt32,
        var t => throw new NotSupportedException($"No ONNX element type for {t.Name}."),
    };

    private static T[] ReadExternal<T>(TensorProto tensor, ExternalDataReference external, string? modelDirectory, int count)
        where T : unmanaged
    {
        if (modelDirectory is null)
        {
            throw new InvalidOperationException($"Initializer '{tensor.Name}' is stored in '{external.Location}'; the model's folder is needed to read it.");
        }

        var path = Path.Combine(modelDirectory, external.Location);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"External data file '{path}' for initializer '{tensor.Name}' does not exist.", path);
        }

        var byteCount = (long)count * Marshal.SizeOf<T>();
        if (external.Length is long length && length != byteCount)
        {
            throw new InvalidDataException($"Initializer '{tensor.Name}' declares {length} external bytes but its dims need {byteCount}.");
        }

        var result = new T[count];
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.RandomAccess);
        if (external.Offset + byteCount > file.Length)
        {
            throw new InvalidDataException($"Initializer '{tensor.Name}' reads past the end of '{path}' (offset {external.Offset}, {byteCount} bytes, file {file.Length} bytes).");
        }

        file.Position = external.Offset;
        file.ReadExactly(MemoryMarshal.AsBytes(result.AsSpan()));
        return result;
    }

    private static T[] ReadTypedField<T>(TensorProto tensor, int count)
        where T : unmanaged
    {
        T[] result = TypeOf(tensor) switch
        {
            ElementType.Float => (T[])(object)tensor.FloatData.ToArray(),
            ElementType.Double => (T[])(object)tensor.DoubleData.ToArray(),
            ElementType.Int64 => (T[])(object)tensor.Int64Data.ToArray(),
            ElementType.Int32 => (T[])(object)tensor.Int32Data.ToArray(),
            ElementType.UInt64 => (T[])(object)tensor.Uint64Data.ToArray(),
            ElementType.Float16 => (T[])(object)tensor.Int32Data.Select(v => BitConverter.UInt16BitsToHalf((ushort)v)).ToArray(),
            ElementType.Bool => (T[])(object)tensor.Int32Data.Select(v => v != 0).ToArray(),
            ElementType.Int8 => (T[])(object)tensor.Int32Data.Select(v => (sbyte)v).ToArray(),
            ElementType.UInt8 => (T[])(object)tensor.Int32Data.Select(v => (byte)v).ToArray(),
            ElementType.Int16 => (T[])(object)tensor.Int32Data.Select(v => (short)v).ToArray(),
            var t => throw new NotSupportedException($"Reading {ElementTypes.Name(t)} initializer '{tensor.Name}' from typed fields is not supported."),
        };

        if (result.Length != count)
        {
            throw new InvalidDataException($"Initializer '{tensor.Name}' holds {result.Length} elements but its dims [{string.Join(",", tensor.Dims)}] need {count}.");
        }

        return result;
    }

    private static void CheckCount(string name, int length, ReadOnlySpan<long> dims)
    {
        long count = 1;
        foreach (var d in dims)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Tensor '{name}' has a negative dimension.", nameof(dims));
            }

            count *= d;
        }

        if (count != length)
        {
            throw new ArgumentException($"Tensor '{name}' has {length} elements but dims [{string.Join(",", dims.ToArray())}] need {count}.", nameof(dims));
        }
    }
}
