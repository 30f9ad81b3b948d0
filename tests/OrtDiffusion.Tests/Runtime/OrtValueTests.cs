using System.Runtime.InteropServices;
using OrtDiffusion.Runtime;

namespace OrtDiffusion.Tests.Runtime;

/// <summary>Tensors over managed memory (no copy, pinned), ORT-allocated tensors, type checks and disposal.</summary>
public class OrtValueTests
{
    [Fact]
    public unsafe void Tensor_over_an_array_uses_the_array_memory_without_copying()
    {
        var data = new float[] { 1, 2, 3, 4, 5, 6 };
        using var value = OrtValue.CreateTensor(data, [2, 3]);
        fixed (float* first = data)
            Assert.Equal((IntPtr)first, value.DataPointer);

        data[4] = 42; // visible through the tensor: same memory
        Assert.Equal(42, value.GetTensorReadOnlySpan<float>()[4]);
        value.GetTensorSpan<float>()[0] = -1; // and the other way round
        Assert.Equal(-1, data[0]);
        Assert.Equal(TensorElementType.Float, value.ElementType);
        Assert.Equal([2L, 3], value.Shape.ToArray());
        Assert.Equal(6, value.ElementCount);
        Assert.Equal(2, value.Rank);
        Assert.Equal("Cpu", value.Location);
    }

    [Fact]
    public void Tensor_over_a_slice_of_memory_starts_at_the_slice()
    {
        var data = Enumerable.Range(0, 10).Select(i => (long)i).ToArray();
        using var value = OrtValue.CreateTensor(new Memory<long>(data, 3, 4), [2, 2]);
        Assert.Equal([3L, 4, 5, 6], value.ToArray<long>());
    }

    [Fact]
    public void Every_supported_element_type_maps_to_its_onnx_type()
    {
        Check(new float[1], TensorElementType.Float);
        Check(new Half[1], TensorElementType.Float16);
        Check(new double[1], TensorElementType.Double);
        Check(new int[1], TensorElementType.Int32);
        Check(new long[1], TensorElementType.Int64);
        Check(new bool[1], TensorElementType.Bool);
        Check(new byte[1], TensorElementType.UInt8);
        Check(new sbyte[1], TensorElementType.Int8);
        Check(new short[1], TensorElementType.Int16);
        Check(new ushort[1], TensorElementType.UInt16);
        Check(new uint[1], TensorElementType.UInt32);
        Check(new ulong[1], TensorElementType.UInt64);

        static void Check<T>(T[] data, TensorElementType expected) where T : unmanaged
        {
            using var value = OrtValue.CreateTensor(data, [1]);
            Assert.Equal(expected, value.ElementType);
        }
    }

    [Fact]
    public void Bool_tensors_are_one_byte_per_element()
    {
        Assert.Equal(1, Marshal.SizeOf<byte>());
        var flags = new[] { true, false, true };
        using var value = OrtValue.CreateTensor(flags, [3]);
        Assert.Equal(flags, value.ToArray<bool>());
    }

    [Fact]
    public void Scalar_tensor_has_rank_zero_and_one_element()
    {
        using var value = OrtValue.CreateTensor(new[] { 2.5 }, []);
        Assert.Equal(0, value.Rank);
        Assert.Equal(1, value.ElementCount);
        Assert.Equal(2.5, value.GetTensorReadOnlySpan<double>()[0]);
    }

    [Fact]
    public void Data_length_that_does_not_match_the_shape_is_an_ArgumentException()
    {
        var ex = Assert.Throws<ArgumentException>(() => OrtValue.CreateTensor(new float[5], [2, 3]));
        Assert.Contains("5 elements", ex.Message);
        Assert.Contains("[2, 3]", ex.Message);
        Assert.Contains("needs 6", ex.Message);

        var negative = Assert.Throws<ArgumentException>(() => OrtValue.CreateTensor(new float[6], [-2, 3]));
        Assert.Contains("negative", negative.Message);
    }

    [Fact]
    public void Unsupported_element_types_are_refused()
    {
        Assert.Throws<NotSupportedException>(() => OrtValue.CreateTensor(new char[2], [2]));
        Assert.Throws<NotSupportedException>(() => OrtValue.Allocate(TensorElementType.String, [2]));
    }

    [Fact]
    public void Viewing_as_the_wrong_element_type_is_refused()
    {
        using var value = OrtValue.CreateTensor(new int[4], [4]);
        var ex = Assert.Throws<InvalidOperationException>(() => value.GetTensorSpan<float>());
        Assert.Contains("Int32", ex.Message);
        Assert.Contains("Single", ex.Message);
        Assert.Throws<InvalidOperationException>(() => value.GetTensorReadOnlySpan<uint>());
    }

    [Fact]
    public void Allocated_tensor_is_zero_filled_and_writable()
    {
        using var value = OrtValue.Allocate<float>([3, 2]);
        Assert.Equal([3L, 2], value.Shape.ToArray());
        Assert.All(value.ToArray<float>(), v => Assert.Equal(0f, v));
        value.GetTensorSpan<float>()[5] = 7;
        Assert.Equal(7, value.ToArray<float>()[5]);
    }

    [Fact]
    public void Disposing_twice_is_safe_and_use_after_dispose_throws()
    {
        var value = OrtValue.CreateTensor(new float[2], [2]);
        value.Dispose();
        value.Dispose();
        Assert.True(value.IsDisposed);
        Assert.Throws<ObjectDisposedException>(() => value.GetTensorSpan<float>());
    }

    [Fact]
    public void Disposing_unpins_the_managed_array()
    {
        // After Dispose the pin must be gone: a weak reference to the array then lets the GC collect it.
        var weak = CreateAndDispose();
        for (var i = 0; i < 5 && weak.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }
        Assert.False(weak.IsAlive);

        static WeakReference CreateAndDispose()
        {
            var data = new float[1024];
            var value = OrtValue.CreateTensor(data, [1024]);
            value.Dispose();
            return new WeakReference(data);
        }
    }
}
