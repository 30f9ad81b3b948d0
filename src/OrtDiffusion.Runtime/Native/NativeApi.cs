using System.Runtime.InteropServices;

namespace OrtDiffusion.Runtime.Native;

/// <summary>
/// The loaded ONNX Runtime library: its <c>OrtApi</c> function table and version. Loaded once per process,
/// on first use, from the path <see cref="NativeLibraryLocator"/> picks.
/// </summary>
internal sealed unsafe class NativeApi
{
    private static readonly Lock Gate = new();
    private static volatile NativeApi? _loaded;
    private static string? _explicitPath;

    private NativeApi(IntPtr library, string path, void** apiBase, void** table, string version)
    {
        Library = library;
        Path = path;
        ApiBase = apiBase;
        Table = table;
        Version = version;
    }

    /// <summary>The dlopen handle.</summary>
    public IntPtr Library { get; }

    /// <summary>Full path (or bare name, when found on the system search path) of the loaded library.</summary>
    public string Path { get; }

    /// <summary>The <c>OrtApiBase</c> struct: slot 0 GetApi, slot 1 GetVersionString.</summary>
    public void** ApiBase { get; }

    /// <summary>The <c>OrtApi</c> function table for <see cref="OrtApiSlots.TargetApiVersion"/>.</summary>
    public void** Table { get; }

    /// <summary>The library's version string, e.g. "1.30.0".</summary>
    public string Version { get; }

    /// <summary>The loaded library, loading it on first use.</summary>
    public static NativeApi Instance => _loaded ?? Load();

    /// <summary>Whether the library has been loaded already.</summary>
    public static bool IsLoaded => _loaded is not null;

    /// <summary>Slot <paramref name="slot"/> of the function table of the loaded library.</summary>
    public static void* Fn(int slot) => Instance.Table[slot];

    /// <summary>Records a path to load from (the environment variable still wins), then loads.</summary>
    public static NativeApi Initialize(string libraryPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(libraryPath);
        lock (Gate)
        {
            var full = System.IO.Path.GetFullPath(libraryPath);
            if (_loaded is { } loaded)
            {
                if (string.Equals(loaded.Path, full, StringComparison.Ordinal) || string.Equals(_explicitPath, full, StringComparison.Ordinal))
                    return loaded;
                throw new InvalidOperationException(
                    $"ONNX Runtime is already loaded from '{loaded.Path}'; OnnxRuntime.Initialize('{full}') must be " +
                    "called before the first use of any ONNX Runtime type.");
            }
            _explicitPath = full;
            return Load();
        }
    }

    private static NativeApi Load()
    {
        lock (Gate)
        {
            if (_loaded is { } existing)
                return existing;

            var (library, path) = NativeLibraryLocator.Load(
                Environment.GetEnvironmentVariable(OnnxRuntime.LibraryPathEnvironmentVariable), _explicitPath);
            if (!NativeLibrary.TryGetExport(library, "OrtGetApiBase", out var getApiBaseAddress))
                throw new EntryPointNotFoundException(
                    $"'{path}' does not export OrtGetApiBase; it is not an ONNX Runtime library.");

            var apiBase = ((delegate* unmanaged[Cdecl]<void**>)getApiBaseAddress)();
            var version = Utf8.ToString((byte*)((delegate* unmanaged[Cdecl]<byte*>)apiBase[1])()) ?? "unknown";
            var table = ((delegate* unmanaged[Cdecl]<uint, void**>)apiBase[0])(OrtApiSlots.TargetApiVersion);
            if (table is null)
                throw new NotSupportedException(
                    $"The ONNX Runtime library '{path}' (version {version}) does not provide C API version " +
                    $"{OrtApiSlots.TargetApiVersion}; OrtDiffusion needs ONNX Runtime 1.13 or newer.");

            var api = new NativeApi(library, path, apiBase, table, version);
            _loaded = api;
            return api;
        }
    }

    /// <summary>The table for a newer API version, or null when this library is older than that.</summary>
    public void** TableForVersion(uint apiVersion)
    {
        // GetApi prints to stderr when asked for a version it lacks, so ask only when the version string says yes.
        if (!TryParseMinor(Version, out var minor) || minor < apiVersion)
            return null;
        return ((delegate* unmanaged[Cdecl]<uint, void**>)ApiBase[0])(apiVersion);
    }

    private static bool TryParseMinor(string version, out uint minor)
    {
        minor = 0;
        var parts = version.Split('.');
        return parts.Length >= 2 && parts[0] == "1" && uint.TryParse(parts[1], out minor);
    }
}
