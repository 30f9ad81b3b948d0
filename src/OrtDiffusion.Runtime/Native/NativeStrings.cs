using System.Runtime.InteropServices;

namespace OrtDiffusion.Runtime.Native;

/// <summary>
/// NUL-terminated UTF-8 copies of some strings in one native block, and an array of pointers to each, ready
/// to pass as a C API <c>const char* const*</c>. Built once (e.g. per session) so hot calls encode nothing.
/// </summary>
internal sealed unsafe class NativeStrings : SafeHandle
{
    /// <summary>Encodes <paramref name="strings"/>.</summary>
    public NativeStrings(IReadOnlyList<string> strings)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        var total = 0;
        foreach (var s in strings)
            total += Utf8.SizeWithNul(s);
        var block = (byte*)NativeMemory.Alloc((nuint)Math.Max(total, 1));
        SetHandle((IntPtr)block);

        Pointers = new IntPtr[strings.Count];
        var offset = 0;
        for (var i = 0; i < strings.Count; i++)
        {
            Pointers[i] = (IntPtr)(block + offset);
            offset += Utf8.Encode(strings[i], new Span<byte>(block + offset, total - offset));
        }
    }

    /// <summary>Pointer to the i-th string; valid until disposal.</summary>
    public IntPtr[] Pointers { get; }

    /// <inheritdoc />
    public override bool IsInvalid => handle == IntPtr.Zero;

    /// <inheritdoc />
    protected override bool ReleaseHandle()
    {
        NativeMemory.Free((void*)handle);
        return true;
    }
}
