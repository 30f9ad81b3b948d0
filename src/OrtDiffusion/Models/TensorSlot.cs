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

    /// <summary>
    /// Copies float values in for any element type: floats as they are, integers rounded to the nearest
    /// (attention masks arrive as 0/1 floats and go to int64 or float inputs alike).
    /// </summary>
    public void WriteNumbers(ReadOnlySpan<float> values)
    {
        CheckLength(values.Length);
        if (longs is not null)
        {
            for (var i = 0; i < values.Length; i++)
            {
                longs[i] = (long)MathF.Round(values[i]);
            }
        }
        else if (ints is not null)
        {
            for (var i = 0; i < values.Length; i++)
            {
                ints[i] = (int)MathF.Round(values[i]);
            }
        }
        else
        {
            Write(values);
        }
    }

    /// <summary>Sets one element (converted to the slot's type; integers truncated).</summary>
    public void Set(int index, float value)
    {
        if (floats is not null)
        {
            floats[index] = value;
        }
        else if (halves is not null)
        {
            halves[index] = (Half)value;
        }
        else if (longs is not null)
        {
            longs[index] = (long)value;
        }
        else
        {
            ints![index] = (int)value;
        }
    }

    /// <summary>
    /// Copies the first <paramref name="keep"/> values of each block of <paramref name="blockLength"/> out as float:
    /// for <c>[B, C, h, w]</c> with blocks of <c>C·h·w</c> and <paramref name="keep"/> = <c>c·h·w</c>, the first c channels of every sample.
    /// </summary>
    public void ReadLeading(Span<float> destination, int blockLength, int keep)
    {
        if (blockLength <= 0 || keep <= 0 || keep > blockLength || Length % blockLength != 0 || destination.Length != Length / blockLength * keep)
        {
            throw new ArgumentException($"Cannot read the first {keep} of every {blockLength} values of a tensor {Tensors.FloatTensor.ShapeText(Shape)} into {destination.Length} values.");
        }

        var blocks = Length / blockLength;
        for (var b = 0; b < blocks; b++)
        {
            var target = destination.Slice(b * keep, keep);
            if (floats is not null)
            {
                floats.AsSpan(b * blockLength, keep).CopyTo(target);
            }
            else if (halves is not null)
            {
                TensorPrimitives.ConvertToSingle(halves.AsSpan(b * blockLength, keep), target);
            }
            else
            {
                throw new InvalidOperationException($"A {Type} tensor cannot be read as float.");
            }
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
