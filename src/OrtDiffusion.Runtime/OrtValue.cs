using System.Runtime.InteropServices;
using OrtDiffusion.Runtime.Native;

namespace OrtDiffusion.Runtime;

/// <summary>
/// A value ONNX Runtime consumes or produces (an <c>OrtValue</c>), normally a tensor. Tensors made with
/// <see cref="CreateTensor{T}(Memory{T}, ReadOnlySpan{long})"/> use the caller's memory without copying:
/// it stays pinned until <see cref="Dispose"/>, and ONNX Runtime reads (inputs) or writes (preallocated outputs)
/// it in place.
/// </summary>
public sealed unsafe class OrtValue : IDisposable
{
    private const int OnnxTypeTensor = 1;
    private const string CpuLocation = "Cpu";
    private readonly OrtHandle _handle;
    private readonly long[] _shape;
    private readonly void* _data;

    private OrtValue(OrtHandle handle, bool isTensor, TensorElementType elementType, long[] shape, long elementCount, void* data,
        string location = CpuLocation)
    {
        _handle = handle;
        Location = location;
        IsTensor = isTensor;
        ElementType = elementType;
        _shape = shape;
        ElementCount = elementCount;
        _data = data;
    }

    /// <summary>Whether this value is a tensor (rather than a sequence, map or optional).</summary>
    public bool IsTensor { get; }

    /// <summary>The tensor's element type; <see cref="TensorElementType.Undefined"/> for non-tensors.</summary>
    public TensorElementType ElementType { get; }

    /// <summary>The tensor's dimensions (empty for a scalar or a non-tensor).</summary>
    public ReadOnlySpan<long> Shape => _shape;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Number of elements (product of <see cref="Shape"/>; 1 for a scalar).</summary>
    public long ElementCount { get; }

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _handle.IsClosed;

    /// <summary>
    /// ONNX Runtime's name for the memory holding the data: "Cpu" for tensors made here and CPU outputs, e.g.
    /// "Cuda" for an IO-binding output left on the GPU (whose data cannot be read through a span).
    /// </summary>
    public string Location { get; }

    /// <summary>A tensor over <paramref name="data"/>, pinned (not copied) until disposal.</summary>
    /// <typeparam name="T">float, <see cref="Half"/>, double, int, long, short, ushort, uint, ulong, byte, sbyte or bool.</typeparam>
    /// <exception cref="ArgumentException">The data length is not the product of <paramref name="shape"/>.</exception>
    public static OrtValue CreateTensor<T>(T[] data, ReadOnlySpan<long> shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        return CreateTensor(new Memory<T>(data), shape);
    }

    /// <summary>A tensor over <paramref name="data"/>, pinned (not copied) until disposal.</summary>
    /// <typeparam name="T">float, <see cref="Half"/>, double, int, long, short, ushort, uint, ulong, byte, sbyte or bool.</typeparam>
    /// <exception cref="ArgumentException">The data length is not the product of <paramref name="shape"/>.</exception>
    public static OrtValue CreateTensor<T>(Memory<T> data, ReadOnlySpan<long> shape) where T : unmanaged
    {
        var type = RequireSupported<T>();
        var count = ShapeText.ElementCount(shape, nameof(shape));
        if (data.Length != count)
            throw new ArgumentException(
                $"The {typeof(T).Name} data has {data.Length} elements but shape {ShapeText.Of(shape)} needs {count}.", nameof(data));

        var info = OrtMemoryInfo.Cpu.Raw;
        var pin = data.Pin();
        IntPtr value;
        IntPtr status;
        fixed (long* dims = shape)
        {
            status = ((delegate* unmanaged[Cdecl]<IntPtr, void*, nuint, long*, nuint, int, IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.CreateTensorWithDataAsOrtValue))(
                info, pin.Pointer, (nuint)(count * sizeof(T)), dims, (nuint)shape.Length, (int)type, &value);
        }
        if (status != IntPtr.Zero)
        {
            pin.Dispose();
            throw OrtStatus.ToException(status, "CreateTensorWithDataAsOrtValue", $"{type} tensor {ShapeText.Of(shape)}");
        }
        // From here the handle owns the pin: it is released right after the native value.
        var handle = new OrtHandle(value, OrtApiSlots.ReleaseValue, pin);
        return new OrtValue(handle, true, type, shape.ToArray(), count, pin.Pointer);
    }

    /// <summary>A zero-filled tensor in memory ONNX Runtime allocates (freed on disposal).</summary>
    public static OrtValue Allocate<T>(ReadOnlySpan<long> shape) where T : unmanaged =>
        Allocate(RequireSupported<T>(), shape);

    /// <summary>A zero-filled tensor of <paramref name="elementType"/> in memory ONNX Runtime allocates (freed on disposal).</summary>
    public static OrtValue Allocate(TensorElementType elementType, ReadOnlySpan<long> shape)
    {
        var size = TensorTypes.SizeOf(elementType);
        if (size == 0)
            throw new NotSupportedException($"Allocating {elementType} tensors is not supported.");
        var count = ShapeText.ElementCount(shape, nameof(shape));
        _ = OrtEnvironment.Instance;

        IntPtr allocator;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.GetAllocatorWithDefaultOptions))(&allocator),
            "GetAllocatorWithDefaultOptions");
        IntPtr value;
        fixed (long* dims = shape)
        {
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, long*, nuint, int, IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.CreateTensorAsOrtValue))(
                allocator, dims, (nuint)shape.Length, (int)elementType, &value),
                "CreateTensorAsOrtValue", $"{elementType} tensor {ShapeText.Of(shape)}");
        }
        var handle = new OrtHandle(value, OrtApiSlots.ReleaseValue);
        try
        {
            var data = MutableData(value);
            NativeMemory.Clear(data, (nuint)(count * size));
            return new OrtValue(handle, true, elementType, shape.ToArray(), count, data);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Takes ownership of a value ONNX Runtime created (a run's output) and reads its type and shape.</summary>
    internal static OrtValue FromNative(IntPtr value)
    {
        var handle = new OrtHandle(value, OrtApiSlots.ReleaseValue);
        try
        {
            int onnxType;
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, int*, IntPtr>)NativeApi.Fn(OrtApiSlots.GetValueType))(value, &onnxType), "GetValueType");
            if (onnxType != OnnxTypeTensor)
                return new OrtValue(handle, false, TensorElementType.Undefined, [], 0, null);

            IntPtr info;
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.GetTensorTypeAndShape))(value, &info), "GetTensorTypeAndShape");
            TensorElementType type;
            long[] shape;
            try
            {
                (type, shape, _) = TensorInfo.Read(info, readSymbolic: false);
            }
            finally
            {
                ((delegate* unmanaged[Cdecl]<IntPtr, void>)NativeApi.Fn(OrtApiSlots.ReleaseTensorTypeAndShapeInfo))(info);
            }
            long count = 1;
            foreach (var d in shape)
                count *= d;
            var data = type == TensorElementType.String ? null : MutableData(value);
            return new OrtValue(handle, true, type, shape, count, data, LocationOf(value));
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>The tensor's elements, writable in place.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match <see cref="ElementType"/>.</exception>
    public Span<T> GetTensorSpan<T>() where T : unmanaged
    {
        CheckReadable<T>();
        return new Span<T>(_data, (int)ElementCount);
    }

    /// <summary>The tensor's elements, read-only.</summary>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> does not match <see cref="ElementType"/>.</exception>
    public ReadOnlySpan<T> GetTensorReadOnlySpan<T>() where T : unmanaged
    {
        CheckReadable<T>();
        return new ReadOnlySpan<T>(_data, (int)ElementCount);
    }

    /// <summary>A copy of the tensor's elements.</summary>
    public T[] ToArray<T>() where T : unmanaged => GetTensorReadOnlySpan<T>().ToArray();

    /// <inheritdoc />
    public override string ToString() =>
        IsTensor ? $"{ElementType} tensor {ShapeText.Of(_shape)}" : "non-tensor OrtValue";

    /// <summary>Releases the native value, then the pin on the managed memory it used. Safe to call twice.</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>The <c>OrtValue*</c>; throws once disposed.</summary>
    internal IntPtr Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Start of the tensor data (for tests that check no copy was made).</summary>
    internal IntPtr DataPointer => (IntPtr)_data;

    private void CheckReadable<T>() where T : unmanaged
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (!IsTensor)
            throw new InvalidOperationException("This OrtValue is not a tensor.");
        var requested = TensorTypes.Of<T>();
        if (requested != ElementType || _data is null && ElementCount > 0)
            throw new InvalidOperationException(
                $"This tensor holds {ElementType} elements; it cannot be viewed as {typeof(T).Name}" +
                (requested == TensorElementType.Undefined ? "." : $" ({requested})."));
        if (ElementCount > int.MaxValue)
            throw new InvalidOperationException($"The tensor has {ElementCount} elements, more than a span can hold.");
        if (Location is not (CpuLocation or "CudaPinned"))
            throw new InvalidOperationException(
                $"This tensor lives in '{Location}' memory, which the CPU cannot read; bind the output to OrtMemoryInfo.Cpu to get it on the host.");
    }

    private static string LocationOf(IntPtr value)
    {
        IntPtr info; // owned by the value
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.GetTensorMemoryInfo))(value, &info), "GetTensorMemoryInfo");
        return OrtMemoryInfo.Describe(info).Name;
    }

    private static TensorElementType RequireSupported<T>() where T : unmanaged
    {
        var type = TensorTypes.Of<T>();
        if (type == TensorElementType.Undefined)
            throw new NotSupportedException($"{typeof(T).Name} is not a supported tensor element type.");
        return type;
    }

    private static void* MutableData(IntPtr value)
    {
        void* data;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, void**, IntPtr>)NativeApi.Fn(OrtApiSlots.GetTensorMutableData))(value, &data), "GetTensorMutableData");
        return data;
    }
}
