namespace OrtDiffusion.IO;

/// <summary>The element types <see cref="NpyFile"/> reads and writes (all little-endian).</summary>
public enum NpyElementType
{
    /// <summary>numpy <c>float32</c> (<c>&lt;f4</c>), stored as <see cref="float"/>.</summary>
    Float32,

    /// <summary>numpy <c>float16</c> (<c>&lt;f2</c>), stored as <see cref="System.Half"/>.</summary>
    Float16,

    /// <summary>numpy <c>float64</c> (<c>&lt;f8</c>), stored as <see cref="double"/>.</summary>
    Float64,

    /// <summary>numpy <c>int32</c> (<c>&lt;i4</c>), stored as <see cref="int"/>.</summary>
    Int32,

    /// <summary>numpy <c>int64</c> (<c>&lt;i8</c>), stored as <see cref="long"/>.</summary>
    Int64,

    /// <summary>numpy <c>uint8</c> (<c>|u1</c>), stored as <see cref="byte"/>.</summary>
    UInt8,

    /// <summary>numpy <c>bool</c> (<c>|b1</c>), stored as <see cref="bool"/>.</summary>
    Bool,
}

/// <summary>Facts about each <see cref="NpyElementType"/>: numpy descriptor, size, CLR type.</summary>
internal static class NpyElementTypes
{
    public static string Descriptor(this NpyElementType type) => type switch
    {
        NpyElementType.Float32 => "<f4",
        NpyElementType.Float16 => "<f2",
        NpyElementType.Float64 => "<f8",
        NpyElementType.Int32 => "<i4",
        NpyElementType.Int64 => "<i8",
        NpyElementType.UInt8 => "|u1",
        NpyElementType.Bool => "|b1",
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type."),
    };

    public static int Size(this NpyElementType type) => type switch
    {
        NpyElementType.Float32 or NpyElementType.Int32 => 4,
        NpyElementType.Float16 => 2,
        NpyElementType.Float64 or NpyElementType.Int64 => 8,
        NpyElementType.UInt8 or NpyElementType.Bool => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type."),
    };

    public static Type ClrType(this NpyElementType type) => type switch
    {
        NpyElementType.Float32 => typeof(float),
        NpyElementType.Float16 => typeof(Half),
        NpyElementType.Float64 => typeof(double),
        NpyElementType.Int32 => typeof(int),
        NpyElementType.Int64 => typeof(long),
        NpyElementType.UInt8 => typeof(byte),
        NpyElementType.Bool => typeof(bool),
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown element type."),
    };

    public static NpyElementType FromClrType(Type type)
    {
        if (type == typeof(float)) return NpyElementType.Float32;
        if (type == typeof(Half)) return NpyElementType.Float16;
        if (type == typeof(double)) return NpyElementType.Float64;
        if (type == typeof(int)) return NpyElementType.Int32;
        if (type == typeof(long)) return NpyElementType.Int64;
        if (type == typeof(byte)) return NpyElementType.UInt8;
        if (type == typeof(bool)) return NpyElementType.Bool;
        throw new NotSupportedException(
            $"Element type {type} cannot be stored in .npy by OrtDiffusion; supported: float, Half, double, int, long, byte, bool.");
    }

    /// <summary>
    /// Maps a numpy descriptor such as <c>&lt;f4</c> to an element type. Returns null and a reason
    /// when the descriptor is valid numpy but not supported here.
    /// </summary>
    public static NpyElementType? FromDescriptor(string descr, out string? unsupportedReason)
    {
        unsupportedReason = null;
        if (descr.Length < 2)
        {
            unsupportedReason = $"dtype '{descr}' is not a plain numeric dtype";
            return null;
        }
        char order = descr[0];
        string code = "<>|=".Contains(order) ? descr[1..] : descr;
        bool hasOrder = code.Length != descr.Length;
        NpyElementType? type = code switch
        {
            "f4" => NpyElementType.Float32,
            "f2" or "e" => NpyElementType.Float16,
            "f8" => NpyElementType.Float64,
            "i4" => NpyElementType.Int32,
            "i8" => NpyElementType.Int64,
            "u1" or "B" => NpyElementType.UInt8,
            "b1" or "?" => NpyElementType.Bool,
            _ => null,
        };
        if (type is null)
        {
            unsupportedReason = code.StartsWith('O')
                ? $"object arrays (dtype '{descr}') are not supported"
                : $"dtype '{descr}' is not supported (supported: <f4, <f2, <f8, <i4, <i8, |u1, |b1)";
            return null;
        }
        // Byte order matters only for multi-byte elements; '=' means native, and .NET here is little-endian.
        if (hasOrder && order == '>' && type.Value.Size() > 1)
        {
            unsupportedReason = $"big-endian data (dtype '{descr}') is not supported; save it little-endian, e.g. arr.astype('<{code}')";
            return null;
        }
        return type;
    }
}
