namespace OrtDiffusion.Tensors;

/// <summary>
/// A dense float32 tensor in row-major order: the array and its shape. The library's currency for latents,
/// embeddings, images and gradients; the data array is used directly (no copies) when handed to ONNX Runtime.
/// </summary>
public sealed class FloatTensor
{
    /// <summary>Wraps <paramref name="data"/> with <paramref name="shape"/>; the element counts must agree.</summary>
    public FloatTensor(float[] data, params long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        var count = ElementCount(shape);
        if (count != data.LongLength)
        {
            throw new ArgumentException($"A tensor of shape {ShapeText(shape)} needs {count} elements, not {data.Length}.", nameof(data));
        }

        Data = data;
        Shape = shape;
    }

    /// <summary>The elements.</summary>
    public float[] Data { get; }

    /// <summary>The dimensions.</summary>
    public long[] Shape { get; }

    /// <summary>Number of elements.</summary>
    public int Length => Data.Length;

    /// <summary>Size of the first dimension.</summary>
    public int BatchSize => (int)Shape[0];

    /// <summary>Elements per item of the first dimension.</summary>
    public int ItemLength => BatchSize == 0 ? 0 : Length / BatchSize;

    /// <summary>A zero tensor.</summary>
    public static FloatTensor Zeros(params long[] shape) => new(new float[ElementCount(shape)], shape);

    /// <summary>A deep copy.</summary>
    public FloatTensor Clone() => new((float[])Data.Clone(), (long[])Shape.Clone());

    /// <summary>The elements of batch item <paramref name="index"/>.</summary>
    public Span<float> Item(int index) => Data.AsSpan(index * ItemLength, ItemLength);

    /// <summary>A copy of batch items [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>).</summary>
    public FloatTensor SliceBatch(int start, int count)
    {
        var shape = (long[])Shape.Clone();
        shape[0] = count;
        return new FloatTensor(Data.AsSpan(start * ItemLength, count * ItemLength).ToArray(), shape);
    }

    /// <summary>Stacks tensors of equal item shape along the first dimension.</summary>
    public static FloatTensor Concat(params FloatTensor[] parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Length == 0)
        {
            throw new ArgumentException("Nothing to concatenate.", nameof(parts));
        }

        var itemShape = parts[0].Shape[1..];
        foreach (var p in parts)
        {
            if (!p.Shape[1..].SequenceEqual(itemShape))
            {
                throw new ArgumentException($"Cannot stack {ShapeText(p.Shape)} onto {ShapeText(parts[0].Shape)}: item shapes differ.", nameof(parts));
            }
        }

        var data = new float[parts.Sum(p => p.Length)];
        var offset = 0;
        foreach (var p in parts)
        {
            p.Data.CopyTo(data, offset);
            offset += p.Length;
        }

        return new FloatTensor(data, [parts.Sum(p => p.Shape[0]), .. itemShape]);
    }

    /// <summary>Whether every element is finite.</summary>
    public bool IsFinite() => AllFinite(Data);

    /// <summary>Whether every element of a span is finite (no NaN, no infinity).</summary>
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        foreach (var v in values)
        {
            if (!float.IsFinite(v))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>The number of elements a shape holds.</summary>
    public static long ElementCount(ReadOnlySpan<long> shape)
    {
        long n = 1;
        foreach (var d in shape)
        {
            if (d < 0)
            {
                throw new ArgumentException($"Shape {ShapeText(shape)} has a negative dimension.", nameof(shape));
            }

            n *= d;
        }

        return n;
    }

    /// <summary>A shape as <c>[2, 4, 64, 64]</c>.</summary>
    public static string ShapeText(ReadOnlySpan<long> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    /// <inheritdoc />
    public override string ToString() => $"FloatTensor {ShapeText(Shape)}";
}
