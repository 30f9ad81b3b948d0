using System.Numerics.Tensors;
using OrtDiffusion.Runtime;

namespace OrtDiffusion.Models;

/// <summary>
/// A preallocated buffer and the ONNX Runtime tensor over it, for one model input or output of a fixed shape.
/// The library works in float32; writes and reads convert at this boundary when the model uses float16 or
/// integer types, into buffers allocated once — so a sampling loop allocates nothing per step.
/// </summary>
internal sealed class TensorSlot : IDisposable
{
    private readonly float[]? floats;
    private readonly Half[]? halves;
    private readonly long[]? longs;
    private readonly int[]? ints;

    private TensorSlot(TensorElementType type, long[] shape)
    {
        Type = type;
        Shape = shape;
        var count = checked((int)Tensors.FloatTensor.ElementCount(shape));
        Value = type switch
        {
            TensorElementType.Float => OrtValue.CreateTensor(floats = new float[count], shape),
            TensorElementType.Float16 => OrtValue.CreateTensor(halves = new Half[count], shape),
            TensorElementType.Int64 => OrtValue.CreateTensor(longs = new long[count], shape),
            TensorElementType.Int32 => OrtValue.CreateTensor(ints = new int[count], shape),
            _ => throw new NotSupportedException($"Model tensors of element type {type} are not supported."),
        };
    }

    public TensorElementType Type { get; }

    public long[] Shape { get; }

    public OrtValue Value { get; }

    public int Length => (int)Value.ElementCount;

    public static TensorSlot Create(TensorElementType type, long[] shape) => new(type, (long[])shape.Clone());

    public bool Fits(TensorElementType type, ReadOnlySpan<long> shape) => type == Type && shape.SequenceEqual(Shape);

    /// <summary>Copies float values in, converting to the slot's type.</summary>
    public void Write(ReadOnlySpan<float> values)
    {
        CheckLength(values.Length);
        if (floats is not null)
        {
            values.CopyTo(floats);
        }
        else if (halves is not null)
        {
            TensorPrimitives.ConvertToHalf(values, halves);
        }
        else
        {
            throw new InvalidOperationException($"A {Type} tensor cannot take float values.");
        }
    }

    /// <summary>Sets every element to <paramref name="value"/> (floats) or its truncation (integers).</summary>
    public void Fill(float value)
    {
        if (floats is not null)
        {
            floats.AsSpan().Fill(value);
        }
        else if (halves is not null)
        {
            halves.AsSpan().Fill((Half)value);
        }
        else if (longs is not null)
        {
            longs.AsSpan().Fill((long)value);
        }
        else
        {
            ints!.AsSpan().Fill((int)value);
        }
    }

    /// <summary>Copies integer ids in, converting to int32 or int64 as the model wants.</summary>
    public void WriteIds(ReadOnlySpan<int> ids)
    {
        CheckLength(ids.Length);
        if (ints is not null)
        {
            ids.CopyTo(ints);
        }
        else if (longs is not null)
        {
            for (var i = 0; i < ids.Length; i++)
            {
                longs[i] = ids[i];
            }
        }
        else
        {
            throw new InvalidOperationException($"A {Type} tensor cannot take token ids.");
        }
    }

    /// <summary>Copies the values out as float.</summary>
    public void Read(Span<float> destination)
    {
        CheckLength(destination.Length);
        if (floats is not null)
        {
            floats.CopyTo(destination);
        }
        else if (halves is not null)
        {
            TensorPrimitives.ConvertToSingle(halves, destination);
        }
        else
        {
            throw new InvalidOperationException($"A {Type} tensor cannot be read as float.");
        }
    }

    public void Dispose() => Value.Dispose();

    private void CheckLength(int length)
    {
        if (length != Length)
        {
            throw new ArgumentException($"Expected {Length} values for a tensor of shape {Tensors.FloatTensor.ShapeText(Shape)}, got {length}.");
        }
    }
}
