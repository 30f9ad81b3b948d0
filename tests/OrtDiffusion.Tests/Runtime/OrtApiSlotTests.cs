using OrtDiffusion.Runtime;
using OrtDiffusion.Runtime.Native;

namespace OrtDiffusion.Tests.Runtime;

/// <summary>
/// Guards the OrtApi table indices by behaviour: each pair of slots must do what its function is documented
/// to do, which a neighbouring slot would not. (Run, session, tensor and binding slots are exercised by the
/// other Runtime tests.)
/// </summary>
public class OrtApiSlotTests
{
    [Fact]
    public void Table_version_is_13()
    {
        Assert.Equal(13, OnnxRuntime.ApiVersion);
        Assert.Equal(13u, OrtApiSlots.TargetApiVersion);
    }

    [Fact]
    public void Status_slots_round_trip_code_and_message()
    {
        // CreateStatus (0), GetErrorCode (1), GetErrorMessage (2), ReleaseStatus (93).
        var status = OrtStatus.Create(OrtErrorCode.InvalidGraph, "slot check ünïcode");
        Assert.NotEqual(IntPtr.Zero, status);
        var (code, message) = OrtStatus.ReadAndRelease(status);
        Assert.Equal(OrtErrorCode.InvalidGraph, code);
        Assert.Equal("slot check ünïcode", message);
    }

    [Fact]
    public void Status_becomes_an_exception_with_context()
    {
        var ex = OrtStatus.ToException(OrtStatus.Create(OrtErrorCode.NoSuchFile, "missing thing"), "CreateSession", "model 'x.onnx'");
        Assert.Equal(OrtErrorCode.NoSuchFile, ex.Code);
        Assert.Equal("missing thing", ex.OrtMessage);
        Assert.Contains("missing thing", ex.Message);
        Assert.Contains("CreateSession", ex.Message);
        Assert.Contains("model 'x.onnx'", ex.Message);
    }

    [Fact]
    public void Run_tag_is_stored_and_read_back()
    {
        // RunOptionsSetRunTag (42) and RunOptionsGetRunTag (45).
        using var options = new RunOptions();
        options.Tag = "step-17";
        Assert.Equal("step-17", options.Tag);
    }

    [Fact]
    public void Memory_info_slots_report_name_and_device()
    {
        // CreateCpuMemoryInfo (69), CreateMemoryInfo (68), MemoryInfoGetName (71), MemoryInfoGetId (72).
        Assert.Equal("Cpu", OrtMemoryInfo.Cpu.Name);
        Assert.Equal(0, OrtMemoryInfo.Cpu.DeviceId);
        using var cuda = OrtMemoryInfo.Create("Cuda", 1);
        var (name, id) = OrtMemoryInfo.Describe(cuda.Raw);
        Assert.Equal("Cuda", name);
        Assert.Equal(1, id);
    }

    [Fact]
    public void Available_providers_end_with_the_cpu_provider()
    {
        // GetAvailableProviders (125) and ReleaseAvailableProviders (126). ORT lists providers by priority with the
        // CPU provider last. The npm build also lists CUDA and TensorRT: they are compiled in as shared providers
        // whose libraries the package does not ship.
        var providers = SessionOptions.GetAvailableProviders();
        Assert.Equal(SessionOptions.CpuProviderName, providers[^1]);
        Assert.All(providers, p => Assert.EndsWith("ExecutionProvider", p));
        Assert.Equal(providers.Count, providers.Distinct().Count());
    }

    [Fact]
    public void Free_dimension_override_fixes_the_symbolic_batch()
    {
        // AddFreeDimensionOverrideByName (124): the session then reports batch as 2 and rejects 3.
        using var options = new SessionOptions();
        options.OverrideDimension("batch", 2);
        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"), options);
        Assert.Equal(2, session.Inputs[0].Shape[0]);
        using var x = OrtValue.CreateTensor(new float[12], [3, 4]);
        var ex = Assert.Throws<ArgumentException>(() => session.Run(new Dictionary<string, OrtValue> { ["x"] = x }));
        Assert.Contains("dimension 0 must be 2", ex.Message);
    }

    [Fact]
    public void Tensor_shape_and_element_count_come_from_their_slots()
    {
        // CreateTensorAsOrtValue (48), GetTensorMutableData (51), GetTensorTypeAndShape (65), GetValueType (67),
        // GetTensorElementType (60), GetDimensionsCount (61), GetDimensions (62).
        using var allocated = OrtValue.Allocate(TensorElementType.Int64, [2, 5, 3]);
        var raw = allocated.Raw;
        // Re-read through the C API what we were told at creation.
        using var reread = WrapBorrowed(raw);
        Assert.Equal(TensorElementType.Int64, reread.ElementType);
        Assert.Equal([2L, 5, 3], reread.Shape.ToArray());
        Assert.Equal(30, reread.ElementCount);
        Assert.Equal(allocated.DataPointer, reread.DataPointer);
    }

    // FromNative takes ownership, so hand it a value of its own: a second tensor over the same data.
    private static unsafe OrtValue WrapBorrowed(IntPtr value)
    {
        void* data;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, void**, IntPtr>)NativeApi.Fn(OrtApiSlots.GetTensorMutableData))(value, &data), "GetTensorMutableData");
        long* dims = stackalloc long[] { 2, 5, 3 };
        IntPtr copy;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, void*, nuint, long*, nuint, int, IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.CreateTensorWithDataAsOrtValue))(
            OrtMemoryInfo.Cpu.Raw, data, 30 * sizeof(long), dims, 3, (int)TensorElementType.Int64, &copy), "CreateTensorWithDataAsOrtValue");
        return OrtValue.FromNative(copy);
    }
}
