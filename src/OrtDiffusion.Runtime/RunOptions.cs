using OrtDiffusion.Runtime.Native;

namespace OrtDiffusion.Runtime;

/// <summary>
/// Per-run settings (an <c>OrtRunOptions</c>); above all the terminate flag, which stops a run in progress
/// from another thread. A run stopped this way throws <see cref="OperationCanceledException"/>.
/// </summary>
public sealed unsafe class RunOptions : IDisposable
{
    private readonly OrtHandle _handle;
    private readonly Lock _gate = new();
    private volatile bool _terminateRequested;
    private CancellationToken _token;

    /// <summary>Creates default run options.</summary>
    public RunOptions()
    {
        _ = OrtEnvironment.Instance;
        IntPtr options;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.CreateRunOptions))(&options), "CreateRunOptions");
        _handle = new OrtHandle(options, OrtApiSlots.ReleaseRunOptions);
    }

    /// <summary>Whether <see cref="Terminate"/> was called (and not undone by <see cref="ResetTerminate"/>).</summary>
    public bool IsTerminateRequested => _terminateRequested;

    /// <summary>A tag ONNX Runtime puts in this run's log messages.</summary>
    public string Tag
    {
        get
        {
            byte* tag;
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, byte**, IntPtr>)NativeApi.Fn(OrtApiSlots.RunOptionsGetRunTag))(Raw, &tag), "RunOptionsGetRunTag");
            return Utf8.ToString(tag) ?? "";
        }
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            fixed (byte* tag = Utf8.NulTerminated(value))
                OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, byte*, IntPtr>)NativeApi.Fn(OrtApiSlots.RunOptionsSetRunTag))(Raw, tag), "RunOptionsSetRunTag");
        }
    }

    /// <summary>
    /// Asks every run using these options to stop at its next node boundary (and any later run to stop at once,
    /// until <see cref="ResetTerminate"/>). Callable from any thread; does nothing after disposal.
    /// </summary>
    public void Terminate()
    {
        lock (_gate)
        {
            if (_handle.IsClosed)
                return;
            _terminateRequested = true;
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeApi.Fn(OrtApiSlots.RunOptionsSetTerminate))(_handle.DangerousGetHandle()),
                "RunOptionsSetTerminate");
        }
    }

    /// <summary>Clears the terminate flag so these options can run again.</summary>
    public void ResetTerminate()
    {
        lock (_gate)
        {
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeApi.Fn(OrtApiSlots.RunOptionsUnsetTerminate))(Raw),
                "RunOptionsUnsetTerminate");
            _terminateRequested = false;
        }
    }

    /// <summary>
    /// Terminates runs using these options when <paramref name="cancellationToken"/> is cancelled; such a run
    /// then throws <see cref="OperationCanceledException"/> carrying that token. Dispose the registration when
    /// the run is over.
    /// </summary>
    public CancellationTokenRegistration CancelOn(CancellationToken cancellationToken)
    {
        _token = cancellationToken;
        return cancellationToken.UnsafeRegister(static state => ((RunOptions)state!).Terminate(), this);
    }

    /// <summary>Releases the native options. Safe to call twice.</summary>
    public void Dispose()
    {
        lock (_gate)
            _handle.Dispose();
    }

    internal IntPtr Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    /// <summary>The exception for a run that failed while termination was requested.</summary>
    internal OperationCanceledException CanceledException(string modelPath) =>
        new($"The run of model '{modelPath}' was cancelled.", _token.IsCancellationRequested ? _token : CancellationToken.None);
}
