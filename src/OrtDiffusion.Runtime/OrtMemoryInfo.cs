using OrtDiffusion.Runtime.Native;

namespace OrtDiffusion.Runtime;

/// <summary>
/// Describes where tensor memory lives (an <c>OrtMemoryInfo</c>): <see cref="Cpu"/>, or a device by
/// ONNX Runtime's allocator name ("Cuda", "CudaPinned", …) and ordinal. Used to bind IO-binding outputs to a
/// device.
/// </summary>
public sealed unsafe class OrtMemoryInfo : IDisposable
{
    private const int DeviceAllocator = 0;
    private const int ArenaAllocator = 1;
    private const int MemTypeDefault = 0;

    private static readonly Lazy<OrtMemoryInfo> SharedCpu = new(CreateCpu, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly OrtHandle _handle;
    private readonly bool _shared;

    private OrtMemoryInfo(IntPtr handle, string name, int deviceId, bool shared)
    {
        _handle = new OrtHandle(handle, OrtApiSlots.ReleaseMemoryInfo);
        Name = name;
        DeviceId = deviceId;
        _shared = shared;
    }

    /// <summary>Ordinary CPU memory. Shared; disposing it does nothing.</summary>
    public static OrtMemoryInfo Cpu => SharedCpu.Value;

    /// <summary>ONNX Runtime's allocator name, e.g. "Cpu" or "Cuda".</summary>
    public string Name { get; }

    /// <summary>Device ordinal.</summary>
    public int DeviceId { get; }

    /// <summary>Memory on the device ONNX Runtime calls <paramref name="name"/> (e.g. "Cuda"), device <paramref name="deviceId"/>.</summary>
    public static OrtMemoryInfo Create(string name, int deviceId = 0)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        _ = OrtEnvironment.Instance;
        IntPtr info;
        fixed (byte* n = Utf8.NulTerminated(name))
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<byte*, int, int, int, IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.CreateMemoryInfo))(
                n, DeviceAllocator, deviceId, MemTypeDefault, &info), "CreateMemoryInfo", $"memory '{name}' device {deviceId}");
        return new OrtMemoryInfo(info, name, deviceId, shared: false);
    }

    internal IntPtr Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>Reads name and id back from a native memory info (owned elsewhere).</summary>
    internal static (string Name, int DeviceId) Describe(IntPtr info)
    {
        byte* name;
        int id;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, byte**, IntPtr>)NativeApi.Fn(OrtApiSlots.MemoryInfoGetName))(info, &name), "MemoryInfoGetName");
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, int*, IntPtr>)NativeApi.Fn(OrtApiSlots.MemoryInfoGetId))(info, &id), "MemoryInfoGetId");
        return (Utf8.ToString(name) ?? "", id);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}:{DeviceId}";

    /// <summary>Releases the native memory info (not for the shared <see cref="Cpu"/> instance).</summary>
    public void Dispose()
    {
        if (!_shared)
            _handle.Dispose();
    }

    private static OrtMemoryInfo CreateCpu()
    {
        _ = OrtEnvironment.Instance;
        IntPtr info;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<int, int, IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.CreateCpuMemoryInfo))(
            ArenaAllocator, MemTypeDefault, &info), "CreateCpuMemoryInfo");
        var (name, id) = Describe(info);
        return new OrtMemoryInfo(info, name, id, shared: true);
    }
}
