using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using OrtDiffusion.Runtime.Native;

namespace OrtDiffusion.Runtime;

/// <summary>
/// The process-wide ONNX Runtime environment (<c>OrtEnv</c>), created on first use and kept for the life of
/// the process. Its logger keeps ONNX Runtime quiet: messages at <see cref="LoggingLevel"/> and above go to
/// <see cref="MessageLogged"/> instead of the console, and are dropped when nobody listens.
/// </summary>
public sealed unsafe class OrtEnvironment
{
    private static readonly Lock Gate = new();
    private static volatile OrtEnvironment? _instance;
    private static OrtLoggingLevel _defaultLoggingLevel = OrtLoggingLevel.Warning;

    private OrtEnvironment(IntPtr handle, OrtLoggingLevel level)
    {
        Handle = handle;
        LoggingLevel = level;
    }

    /// <summary>The environment, created on first access.</summary>
    public static OrtEnvironment Instance => _instance ?? Create();

    /// <summary>
    /// The minimum severity the environment is created with (default <see cref="OrtLoggingLevel.Warning"/>).
    /// Set it before the first use of ONNX Runtime; setting it afterwards throws.
    /// </summary>
    public static OrtLoggingLevel DefaultLoggingLevel
    {
        get => _defaultLoggingLevel;
        set
        {
            lock (Gate)
            {
                if (_instance is not null && value != _defaultLoggingLevel)
                    throw new InvalidOperationException(
                        "The ONNX Runtime environment already exists; set DefaultLoggingLevel before its first use.");
                _defaultLoggingLevel = value;
            }
        }
    }

    /// <summary>The minimum severity of messages ONNX Runtime reports.</summary>
    public OrtLoggingLevel LoggingLevel { get; }

    /// <summary>Raised for each ONNX Runtime log message, on whichever thread ONNX Runtime logs from.</summary>
    public event EventHandler<OrtLogEventArgs>? MessageLogged;

    /// <summary>The <c>OrtEnv*</c>, never released: sessions may outlive any owner we could give it.</summary>
    internal IntPtr Handle { get; }

    private static OrtEnvironment Create()
    {
        lock (Gate)
        {
            if (_instance is { } existing)
                return existing;
            var level = _defaultLoggingLevel;
            IntPtr env;
            fixed (byte* logId = "OrtDiffusion\0"u8)
            {
                var create = (delegate* unmanaged[Cdecl]<delegate* unmanaged[Cdecl]<IntPtr, int, byte*, byte*, byte*, byte*, void>, IntPtr, int, byte*, IntPtr*, IntPtr>)
                    NativeApi.Fn(OrtApiSlots.CreateEnvWithCustomLogger);
                OrtStatus.Check(create(&OnLog, IntPtr.Zero, (int)level, logId, &env), "CreateEnvWithCustomLogger");
            }
            _instance = new OrtEnvironment(env, level);
            return _instance;
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLog(IntPtr param, int severity, byte* category, byte* logId, byte* codeLocation, byte* message)
    {
        // Called from native code: nothing may escape, and without a listener there is nothing to do.
        try
        {
            var environment = _instance;
            var handler = environment?.MessageLogged;
            if (handler is null)
                return;
            handler(environment, new OrtLogEventArgs(
                (OrtLoggingLevel)severity,
                Utf8.ToString(category) ?? "",
                Utf8.ToString(logId) ?? "",
                Utf8.ToString(codeLocation) ?? "",
                Utf8.ToString(message) ?? ""));
        }
        catch
        {
            // A throwing listener must not take the process down from a native frame.
        }
    }
}
