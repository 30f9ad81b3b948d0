using System.Runtime.CompilerServices;

namespace OrtDiffusion.Runtime.Native;

/// <summary>Turns a returned <c>OrtStatus*</c> into an <see cref="OrtException"/> and releases it.</summary>
internal static unsafe class OrtStatus
{
    /// <summary>Throws when <paramref name="status"/> is not null (success is a null status).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Check(IntPtr status, string operation, string? subject = null)
    {
        if (status != IntPtr.Zero)
            throw ToException(status, operation, subject);
    }

    /// <summary>Reads code and message, releases the status, returns the exception to throw.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static OrtException ToException(IntPtr status, string operation, string? subject = null)
    {
        var (code, message) = ReadAndRelease(status);
        return new OrtException(code, message, operation, subject);
    }

    /// <summary>Reads code and message of a non-null status and releases it.</summary>
    public static (OrtErrorCode Code, string Message) ReadAndRelease(IntPtr status)
    {
        try
        {
            var code = (OrtErrorCode)((delegate* unmanaged[Cdecl]<IntPtr, int>)NativeApi.Fn(OrtApiSlots.GetErrorCode))(status);
            var text = ((delegate* unmanaged[Cdecl]<IntPtr, byte*>)NativeApi.Fn(OrtApiSlots.GetErrorMessage))(status);
            return (code, Utf8.ToString(text) ?? "(no message)");
        }
        finally
        {
            Release(status);
        }
    }

    /// <summary>Creates a status (used by the tests that guard the table indices).</summary>
    public static IntPtr Create(OrtErrorCode code, string message)
    {
        fixed (byte* text = Utf8.NulTerminated(message))
            return ((delegate* unmanaged[Cdecl]<int, byte*, IntPtr>)NativeApi.Fn(OrtApiSlots.CreateStatus))((int)code, text);
    }

    /// <summary>Releases a status.</summary>
    public static void Release(IntPtr status) =>
        ((delegate* unmanaged[Cdecl]<IntPtr, void>)NativeApi.Fn(OrtApiSlots.ReleaseStatus))(status);
}
