using OrtDiffusion.Runtime;

namespace OrtDiffusion.IO;

/// <summary>Converts between NumPy arrays and ONNX Runtime tensors.</summary>
public static class NpyTensors
{
    /// <summary>
    /// A tensor of element type <paramref name="target"/> holding the array's values. Float types convert
    /// among themselves and integer types among themselves (as numpy's <c>astype</c> would); anything else is refused.
    /// </summary>
    /// <param name="array">The array.</param>
    /// <param name="target">The element type the model expects.</param>
    /// <param name="what">Names the array in error messages (e.g. the file and input).</param>
    public static OrtValue ToOrtValue(NpyArray array, TensorElementType target, string what)
    {
        ArgumentNullException.ThrowIfNull(array);
        var shape = array.Shape;
        return target switch
        {
            TensorElementType.Float => OrtValue.CreateTensor(AsFloat(array, what), shape),
            TensorElementType.Float16 => OrtValue.CreateTensor(Array.ConvertAll(AsFloat(array, what), f => (Half)f), shape),
            TensorElementType.Double => OrtValue.CreateTensor(IsFloat(array) ? AsDouble(array) : throw Mismatch(array, target, what), shape),
            TensorElementType.Int64 => OrtValue.CreateTensor(AsInt64(array, target, what), shape),
            TensorElementType.Int32 => OrtValue.CreateTensor(Array.ConvertAll(AsInt64(array, target, what), v => checked((int)v)), shape),
            TensorElementType.Bool when array.ElementType == NpyElementType.Bool => OrtValue.CreateTensor(array.GetData<bool>(), shape),
            TensorElementType.UInt8 when array.ElementType == NpyElementType.UInt8 => OrtValue.CreateTensor(array.GetData<byte>(), shape),
            _ => throw Mismatch(array, target, what),
        };
    }

    /// <summary>A copy of a tensor's values as an array with its shape and element type.</summary>
    public static NpyArray FromOrtValue(OrtValue value)
    {
        ArgumentNullException.ThrowIfNull(value);
        var shape = value.Shape.ToArray();
        return value.ElementType switch
        {
            TensorElementType.Float => NpyArray.Create(value.ToArray<float>(), shape),
            TensorElementType.Float16 => NpyArray.Create(value.ToArray<Half>(), shape),
            TensorElementType.Double => NpyArray.Create(value.ToArray<double>(), shape),
            TensorElementType.Int32 => NpyArray.Create(value.ToArray<int>(), shape),
            TensorElementType.Int64 => NpyArray.Create(value.ToArray<long>(), shape),
            TensorElementType.UInt8 => NpyArray.Create(value.ToArray<byte>(), shape),
            TensorElementType.Bool => NpyArray.Create(value.ToArray<bool>(), shape),
            var t => throw new NotSupportedException($"Tensors of element type {t} cannot be written as .npy."),
        };
    }

    private static bool IsFloat(NpyArray a) => a.ElementType is NpyElementType.Float32 or NpyElementType.Float16 or NpyElementType.Float64;

    private static float[] AsFloat(NpyArray a, string what) =>
        IsFloat(a) ? a.ToFloat32() : throw new ArgumentException($"{what} holds {a.ElementType} values; the model expects floating point.");

    private static double[] AsDouble(NpyArray a) => a.ElementType switch
    {
        NpyElementType.Float64 => a.GetData<double>(),
        _ => Array.ConvertAll(a.ToFloat32(), f => (double)f),
    };

    private static long[] AsInt64(NpyArray a, TensorElementType target, string what) => a.ElementType switch
    {
        NpyElementType.Int64 => a.GetData<long>(),
        NpyElementType.Int32 => Array.ConvertAll(a.GetData<int>(), v => (long)v),
        NpyElementType.UInt8 => Array.ConvertAll(a.GetData<byte>(), v => (long)v),
        _ => throw Mismatch(a, target, what),
    };

    private static ArgumentException Mismatch(NpyArray a, TensorElementType target, string what) =>
        new($"{what} holds {a.ElementType} values, which cannot be converted to the model's {target}.");
}
