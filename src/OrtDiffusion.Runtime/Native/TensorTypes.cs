namespace OrtDiffusion.Runtime.Native;

/// <summary>The mapping between .NET element types and <see cref="TensorElementType"/>.</summary>
internal static class TensorTypes
{
    /// <summary>The element type for <typeparamref name="T"/>, or <see cref="TensorElementType.Undefined"/> if none.</summary>
    public static TensorElementType Of<T>() where T : unmanaged => Cache<T>.Value;

    /// <summary>Bytes per element, or 0 for types without a fixed-size .NET counterpart.</summary>
    public static int SizeOf(TensorElementType type) => type switch
    {
        TensorElementType.Float => 4,
        TensorElementType.UInt8 => 1,
        TensorElementType.Int8 => 1,
        TensorElementType.UInt16 => 2,
        TensorElementType.Int16 => 2,
        TensorElementType.Int32 => 4,
        TensorElementType.Int64 => 8,
        TensorElementType.Bool => 1,
        TensorElementType.Float16 => 2,
        TensorElementType.Double => 8,
        TensorElementType.UInt32 => 4,
        TensorElementType.UInt64 => 8,
        _ => 0,
    };

    private static TensorElementType Map(Type type) =>
        type == typeof(float) ? TensorElementType.Float
        : type == typeof(byte) ? TensorElementType.UInt8
        : type == typeof(sbyte) ? TensorElementType.Int8
        : type == typeof(ushort) ? TensorElementType.UInt16
        : type == typeof(short) ? TensorElementType.Int16
        : type == typeof(int) ? TensorElementType.Int32
        : type == typeof(long) ? TensorElementType.Int64
        : type == typeof(bool) ? TensorElementType.Bool
        : type == typeof(Half) ? TensorElementType.Float16
        : type == typeof(double) ? TensorElementType.Double
        : type == typeof(uint) ? TensorElementType.UInt32
        : type == typeof(ulong) ? TensorElementType.UInt64
        : TensorElementType.Undefined;

    private static class Cache<T> where T : unmanaged
    {
        public static readonly TensorElementType Value = Map(typeof(T));
    }
}
