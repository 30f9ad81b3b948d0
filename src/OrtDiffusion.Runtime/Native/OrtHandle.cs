using System.Buffers;
using System.Runtime.InteropServices;

namespace OrtDiffusion.Runtime.Native;

/// <summary>
/// Owns one ONNX Runtime object and releases it with its ORT_CLASS_RELEASE function. Optionally also owns the
/// pin of managed memory the object points into, released after the object, so the two cannot part.
/// </summary>
internal sealed unsafe class OrtHandle : SafeHandle
{
    private readonly int _releaseSlot;
    private MemoryHandle _pin;

    /// <summary>Takes ownership of <paramref name="native"/>, released with the function in <paramref name="releaseSlot"/>.</summary>
    public OrtHandle(IntPtr native, int releaseSlot, MemoryHandle pin = default)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        _releaseSlot = releaseSlot;
        _pin = pin;
        SetHandle(native);
    }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        ((delegate* unmanaged[Cdecl]<IntPtr, void>)NativeApi.Fn(_releaseSlot))(handle);
        _pin.Dispose();
        _pin = default;
        return true;
    }
}
