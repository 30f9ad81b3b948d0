using OrtDiffusion.Runtime.Native;

namespace OrtDiffusion.Runtime;

/// <summary>
/// Settings for creating an <see cref="InferenceSession"/>: threads, graph optimisation, execution mode,
/// memory reuse, execution providers. Each setter applies to the native options at once.
/// </summary>
public sealed unsafe class SessionOptions : IDisposable
{
    /// <summary>The name ONNX Runtime gives its CUDA execution provider.</summary>
    public const string CudaProviderName = "CUDAExecutionProvider";

    /// <summary>The name ONNX Runtime gives its CPU execution provider.</summary>
    public const string CpuProviderName = "CPUExecutionProvider";

    private readonly OrtHandle _handle;
    private readonly List<string> _providers = [];
    private int _intraOpThreads;
    private int _interOpThreads;
    private GraphOptimizationLevel _optimizationLevel = GraphOptimizationLevel.All;
    private ExecutionMode _executionMode = ExecutionMode.Sequential;
    private bool _memoryPattern = true;
    private bool _cpuMemoryArena = true;

    /// <summary>Creates options with ONNX Runtime's defaults.</summary>
    public SessionOptions()
    {
        _ = OrtEnvironment.Instance; // the environment must exist before any other ORT object
        IntPtr options;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.CreateSessionOptions))(&options),
            "CreateSessionOptions");
        _handle = new OrtHandle(options, OrtApiSlots.ReleaseSessionOptions);
    }

    /// <summary>Options for <paramref name="device"/>: CUDA options append the CUDA provider (see <see cref="AppendCuda"/>).</summary>
    public static SessionOptions ForDevice(ExecutionDevice device, int deviceId = 0)
    {
        var options = new SessionOptions();
        try
        {
            options.AppendExecutionDevice(device, deviceId);
            return options;
        }
        catch
        {
            options.Dispose();
            throw;
        }
    }

    /// <summary>Threads used inside one operator; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads
    {
        get => _intraOpThreads;
        set => _intraOpThreads = SetInt(OrtApiSlots.SetIntraOpNumThreads, "SetIntraOpNumThreads", RequireNonNegative(value));
    }

    /// <summary>Threads running independent operators in <see cref="ExecutionMode.Parallel"/>; 0 lets ONNX Runtime choose.</summary>
    public int InterOpThreads
    {
        get => _interOpThreads;
        set => _interOpThreads = SetInt(OrtApiSlots.SetInterOpNumThreads, "SetInterOpNumThreads", RequireNonNegative(value));
    }

    /// <summary>Graph optimisation applied when the session loads (default <see cref="GraphOptimizationLevel.All"/>).</summary>
    public GraphOptimizationLevel GraphOptimizationLevel
    {
        get => _optimizationLevel;
        set
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown graph optimisation level.");
            SetInt(OrtApiSlots.SetSessionGraphOptimizationLevel, "SetSessionGraphOptimizationLevel", (int)value);
            _optimizationLevel = value;
        }
    }

    /// <summary>Sequential or parallel execution of independent nodes (default <see cref="ExecutionMode.Sequential"/>).</summary>
    public ExecutionMode ExecutionMode
    {
        get => _executionMode;
        set
        {
            if (!Enum.IsDefined(value))
                throw new ArgumentOutOfRangeException(nameof(value), value, "Unknown execution mode.");
            SetInt(OrtApiSlots.SetSessionExecutionMode, "SetSessionExecutionMode", (int)value);
            _executionMode = value;
        }
    }

    /// <summary>Plan memory from the first run's allocations and reuse the plan when shapes repeat (default on).</summary>
    public bool EnableMemoryPattern
    {
        get => _memoryPattern;
        set
        {
            Toggle(value ? OrtApiSlots.EnableMemPattern : OrtApiSlots.DisableMemPattern, value ? "EnableMemPattern" : "DisableMemPattern");
            _memoryPattern = value;
        }
    }

    /// <summary>Use an arena for CPU allocations (default on); off returns memory to the system after each run.</summary>
    public bool EnableCpuMemoryArena
    {
        get => _cpuMemoryArena;
        set
        {
            Toggle(value ? OrtApiSlots.EnableCpuMemArena : OrtApiSlots.DisableCpuMemArena, value ? "EnableCpuMemArena" : "DisableCpuMemArena");
            _cpuMemoryArena = value;
        }
    }

    /// <summary>Execution providers appended so far, in preference order (the CPU provider is always the last resort).</summary>
    public IReadOnlyList<string> AppendedProviders => _providers;

    internal OrtHandle Handle => _handle;

    /// <summary>Appends the provider for <paramref name="device"/>; <see cref="ExecutionDevice.Cpu"/> needs nothing.</summary>
    public void AppendExecutionDevice(ExecutionDevice device, int deviceId = 0)
    {
        switch (device)
        {
            case ExecutionDevice.Cpu:
                return;
            case ExecutionDevice.Cuda:
                AppendCuda(deviceId);
                return;
            default:
                throw new ArgumentOutOfRangeException(nameof(device), device, "Unknown execution device.");
        }
    }

    /// <summary>
    /// Prefers the CUDA execution provider on GPU <paramref name="deviceId"/> (nodes it cannot run fall back to
    /// the CPU). Needs a CUDA build of ONNX Runtime: point <see cref="OnnxRuntime.LibraryPathEnvironmentVariable"/>
    /// at one.
    /// </summary>
    /// <param name="deviceId">CUDA device ordinal.</param>
    /// <param name="providerOptions">Further CUDA provider options by ONNX Runtime's key names
    /// (e.g. "gpu_mem_limit", "cudnn_conv_algo_search"); may be null.</param>
    /// <exception cref="NotSupportedException">The loaded ONNX Runtime has no CUDA execution provider.</exception>
    /// <exception cref="OrtException">ONNX Runtime could not set up CUDA (e.g. CUDA or cuDNN libraries missing).</exception>
    public void AppendCuda(int deviceId = 0, IReadOnlyDictionary<string, string>? providerOptions = null)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        ArgumentOutOfRangeException.ThrowIfNegative(deviceId);
        var missing = CudaMissingReason();
        if (missing is not null)
            throw new NotSupportedException(
                $"This ONNX Runtime build ({OnnxRuntime.LibraryPath}, version {OnnxRuntime.Version}) has no CUDA " +
                $"execution provider: {missing}. Set {OnnxRuntime.LibraryPathEnvironmentVariable} to the full path of a " +
                "CUDA build of libonnxruntime (e.g. from the onnxruntime-gpu release, with its provider libraries beside " +
                "it), or call OnnxRuntime.Initialize(path) before the first use of ONNX Runtime.");

        var keys = new List<string> { "device_id" };
        var values = new List<string> { deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (providerOptions is not null)
        {
            foreach (var (key, value) in providerOptions)
            {
                if (key == "device_id")
                    throw new ArgumentException("Pass the device as deviceId, not as a provider option.", nameof(providerOptions));
                keys.Add(key);
                values.Add(value);
            }
        }

        var subject = $"CUDA device {deviceId}";
        IntPtr cudaOptions;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.CreateCUDAProviderOptions))(&cudaOptions),
            "CreateCUDAProviderOptions", subject);
        try
        {
            using var keyStrings = new NativeStrings(keys);
            using var valueStrings = new NativeStrings(values);
            var update = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr*, IntPtr*, nuint, IntPtr>)NativeApi.Fn(OrtApiSlots.UpdateCUDAProviderOptions);
            fixed (IntPtr* k = keyStrings.Pointers, v = valueStrings.Pointers)
                OrtStatus.Check(update(cudaOptions, k, v, (nuint)keys.Count), "UpdateCUDAProviderOptions", subject);
            var append = (delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr>)NativeApi.Fn(OrtApiSlots.SessionOptionsAppendExecutionProvider_CUDA_V2);
            OrtStatus.Check(append(Raw, cudaOptions), "SessionOptionsAppendExecutionProvider_CUDA_V2", subject);
            _providers.Add(CudaProviderName);
        }
        finally
        {
            ((delegate* unmanaged[Cdecl]<IntPtr, void>)NativeApi.Fn(OrtApiSlots.ReleaseCUDAProviderOptions))(cudaOptions);
        }
    }

    /// <summary>
    /// Why CUDA cannot work with the loaded library, or null if it may. ONNX Runtime builds its CUDA provider as a
    /// separate shared library that it loads from its own folder: a build may list the provider (the npm CPU
    /// package does) and still lack that file.
    /// </summary>
    private static string? CudaMissingReason()
    {
        var available = GetAvailableProviders();
        var offers = $"it offers {string.Join(", ", available)}";
        if (!available.Contains(CudaProviderName))
            return offers;
        var providerFile = OperatingSystem.IsWindows() ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
        var directory = Path.GetDirectoryName(OnnxRuntime.LibraryPath);
        if (string.IsNullOrEmpty(directory) || File.Exists(Path.Combine(directory, providerFile)))
            return null; // found on the system search path (folder unknown) or present: let ONNX Runtime try
        return $"{offers}, but the CUDA provider library {providerFile} is not in {directory}";
    }

    /// <summary>Sets a session configuration entry by ONNX Runtime's key (see onnxruntime_session_options_config_keys.h).</summary>
    public void AddConfigEntry(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        fixed (byte* k = Utf8.NulTerminated(key), v = Utf8.NulTerminated(value))
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, byte*, byte*, IntPtr>)NativeApi.Fn(OrtApiSlots.AddSessionConfigEntry))(Raw, k, v),
                "AddSessionConfigEntry", $"key '{key}'");
    }

    /// <summary>Fixes the symbolic dimension <paramref name="dimensionName"/> to <paramref name="value"/> for better memory planning.</summary>
    public void OverrideDimension(string dimensionName, long value)
    {
        ArgumentException.ThrowIfNullOrEmpty(dimensionName);
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        fixed (byte* name = Utf8.NulTerminated(dimensionName))
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, byte*, long, IntPtr>)NativeApi.Fn(OrtApiSlots.AddFreeDimensionOverrideByName))(Raw, name, value),
                "AddFreeDimensionOverrideByName", $"dimension '{dimensionName}'");
    }

    /// <summary>
    /// The execution providers compiled into the loaded ONNX Runtime, e.g. ["CPUExecutionProvider"]. Being listed
    /// does not guarantee a provider can start (CUDA still needs its libraries at session creation).
    /// </summary>
    public static IReadOnlyList<string> GetAvailableProviders()
    {
        _ = OrtEnvironment.Instance;
        byte** names;
        int count;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<byte***, int*, IntPtr>)NativeApi.Fn(OrtApiSlots.GetAvailableProviders))(&names, &count),
            "GetAvailableProviders");
        try
        {
            var result = new string[count];
            for (var i = 0; i < count; i++)
                result[i] = Utf8.ToString(names[i]) ?? "";
            return result;
        }
        finally
        {
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<byte**, int, IntPtr>)NativeApi.Fn(OrtApiSlots.ReleaseAvailableProviders))(names, count),
                "ReleaseAvailableProviders");
        }
    }

    /// <summary>Releases the native options. Sessions already created keep their own copy.</summary>
    public void Dispose() => _handle.Dispose();

    private IntPtr Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    private int SetInt(int slot, string operation, int value)
    {
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, int, IntPtr>)NativeApi.Fn(slot))(Raw, value), operation);
        return value;
    }

    private void Toggle(int slot, string operation) =>
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeApi.Fn(slot))(Raw), operation);

    private static int RequireNonNegative(int value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        return value;
    }
}
