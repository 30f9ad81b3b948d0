using System.Numerics.Tensors;

namespace OrtDiffusion.IO;

/// <summary>
/// An n-dimensional array as stored in a NumPy <c>.npy</c> file: a shape, an element type and
/// the elements in C (row-major) order in a typed CLR array.
/// </summary>
public sealed class NpyArray
{
    private NpyArray(Array data, NpyElementType elementType, long[] shape)
    {
        Data = data;
        ElementType = elementType;
        Shape = shape;
    }

    /// <summary>The dimensions, outermost first. Empty for a 0-d (scalar) array.</summary>
    public long[] Shape { get; }

    /// <summary>The element type; <see cref="Data"/> is an array of the matching CLR type.</summary>
    public NpyElementType ElementType { get; }

    /// <summary>
    /// The elements in C order: a <c>float[]</c>, <c>Half[]</c>, <c>double[]</c>, <c>int[]</c>,
    /// <c>long[]</c>, <c>byte[]</c> or <c>bool[]</c> according to <see cref="ElementType"/>.
    /// </summary>
    public Array Data { get; }

    /// <summary>The number of elements (the product of <see cref="Shape"/>; 1 for a 0-d array).</summary>
    public long Length => Data.LongLength;

    /// <summary>Wraps <paramref name="data"/> (not copied) with the given shape.</summary>
    /// <typeparam name="T">float, Half, double, int, long, byte or bool.</typeparam>
    /// <param name="data">The elements in C order.</param>
    /// <param name="shape">The dimensions; their product must equal the length of <paramref name="data"/>. No dimensions means a 0-d array of one element.</param>
    /// <exception cref="ArgumentException">The shape does not match the data, or a dimension is negative.</exception>
    public static NpyArray Create<T>(T[] data, params long[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        var type = NpyElementTypes.FromClrType(typeof(T));
        long count = ElementCount(shape);
        if (count != data.LongLength)
            throw new ArgumentException(
                $"Shape {FormatShape(shape)} holds {count} elements but the data has {data.LongLength}.", nameof(shape));
        return new NpyArray(data, type, (long[])shape.Clone());
    }

    /// <summary>Returns the data as <typeparamref name="T"/>[] without copying.</summary>
    /// <exception cref="InvalidCastException">The element type is not <typeparamref name="T"/>.</exception>
    public T[] GetData<T>() where T : unmanaged
    {
        if (Data is T[] typed)
            return typed;
        throw new InvalidCastException(
            $"This .npy array holds {ElementType} ({ElementType.Descriptor()}) elements, not {typeof(T).Name}.");
    }

    /// <summary>
    /// Returns the elements as float32: float32 data is returned as is (not copied); float16,
    /// float64 and the integer and bool types are converted (true = 1).
    /// </summary>
    public float[] ToFloat32()
    {
        switch (Data)
        {
            case float[] f:
                return f;
            case Half[] h:
            {
                var result = new float[h.Length];
                TensorPrimitives.ConvertToSingle(h, result);
                return result;
            }
            case double[] d:
            {
                var result = new float[d.Length];
                TensorPrimitives.ConvertTruncating<double, float>(d, result);
                return result;
            }
            case int[] i:
            {
                var result = new float[i.Length];
                TensorPrimitives.ConvertTruncating<int, float>(i, result);
                return result;
            }
            case long[] l:
            {
                var result = new float[l.Length];
                TensorPrimitives.ConvertTruncating<long, float>(l, result);
                return result;
            }
            case byte[] b:
            {
                var result = new float[b.Length];
                TensorPrimitives.ConvertTruncating<byte, float>(b, result);
                return result;
            }
            case bool[] z:
            {
                var result = new float[z.Length];
                for (int k = 0; k < z.Length; k++)
                    result[k] = z[k] ? 1f : 0f;
                return result;
            }
            default:
                throw new InvalidOperationException($"Unexpected data type {Data.GetType()}.");
        }
    }

    /// <summary>The shape as numpy prints it, e.g. <c>(2, 3)</c>, <c>(5,)</c> or <c>()</c>.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <inheritdoc />
    public override string ToString() => $"NpyArray {ElementType.Descriptor()} {ShapeText}";

    internal static NpyArray FromTrusted(Array data, NpyElementType type, long[] shape) => new(data, type, shape);

    /// <summary>Product of the dimensions, checked for negative dimensions and overflow.</summary>
    internal static long ElementCount(IReadOnlyList<long> shape)
    {
        long count = 1;
        foreach (long dim in shape)
        {
            if (dim < 0)
                throw new ArgumentException($"Shape {FormatShape(shape)} has a negative dimension.");
            count = checked(count * dim);
        }
        return count;
    }

    /// <summary>Formats a shape the way Python's <c>repr</c> of a tuple does.</summary>
    internal static string FormatShape(IReadOnlyList<long> shape) => shape.Count switch
    {
        0 => "()",
        1 => $"({shape[0]},)",
        _ => "(" + string.Join(", ", shape) + ")",
    };
}
