using System.Runtime.InteropServices;

namespace OrtDiffusion.Runtime.Native;

/// <summary>
/// Decides which ONNX Runtime shared library to load: the environment variable wins, then a path set in code,
/// then the library next to this assembly or the app, then the build cache, then the system search path.
/// </summary>
internal static class NativeLibraryLocator
{
    /// <summary>File names the library goes by on this operating system, preferred first.</summary>
    internal static IReadOnlyList<string> FileNames { get; } =
        OperatingSystem.IsWindows() ? ["onnxruntime.dll"]
        : OperatingSystem.IsMacOS() ? ["libonnxruntime.1.dylib", "libonnxruntime.dylib"]
        : ["libonnxruntime.so.1", "libonnxruntime.so"];

    /// <summary>Loads the library and returns its handle and the path (or name) it was loaded from.</summary>
    /// <param name="fromEnvironment">The value of <see cref="OnnxRuntime.LibraryPathEnvironmentVariable"/>, if set.</param>
    /// <param name="explicitPath">The path given to <see cref="OnnxRuntime.Initialize"/>, if any.</param>
    internal static (IntPtr Handle, string Path) Load(string? fromEnvironment, string? explicitPath)
    {
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            return LoadFile(fromEnvironment, $"the environment variable {OnnxRuntime.LibraryPathEnvironmentVariable}");
        if (explicitPath is not null)
            return LoadFile(explicitPath, "OnnxRuntime.Initialize");

        var tried = new List<string>();
        foreach (var directory in CandidateDirectories())
        {
            foreach (var name in FileNames)
            {
                var candidate = Path.Combine(directory, name);
                tried.Add(candidate);
                if (File.Exists(candidate))
                    return LoadFile(candidate, "the application folder");
            }
        }

        foreach (var name in FileNames)
        {
            tried.Add(name + " (system search path)");
            if (NativeLibrary.TryLoad(name, out var handle))
                return (handle, name);
        }

        throw new DllNotFoundException(
            "ONNX Runtime's native library was not found. Looked for: " + string.Join(", ", tried) + ". " +
            $"The build normally copies {FileNames[0]} next to the application; otherwise set " +
            $"{OnnxRuntime.LibraryPathEnvironmentVariable} to its full path or call OnnxRuntime.Initialize(path).");
    }

    private static (IntPtr, string) LoadFile(string path, string source)
    {
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException(
                $"The ONNX Runtime library '{fullPath}' named by {source} does not exist.", fullPath);
        try
        {
            return (NativeLibrary.Load(fullPath), fullPath);
        }
        catch (Exception ex) when (ex is DllNotFoundException or BadImageFormatException)
        {
            throw new DllNotFoundException(
                $"The ONNX Runtime library '{fullPath}' named by {source} could not be loaded: {ex.Message}", ex);
        }
    }

    private static IEnumerable<string> CandidateDirectories()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var assemblyDirectory = System.IO.Path.GetDirectoryName(typeof(NativeLibraryLocator).Assembly.Location);
        string?[] directories =
        [
            assemblyDirectory,
            AppContext.BaseDirectory,
            BuildCacheDirectory(),
        ];
        foreach (var directory in directories)
        {
            if (!string.IsNullOrEmpty(directory) && seen.Add(System.IO.Path.GetFullPath(directory)))
                yield return directory;
        }
    }

    /// <summary>Where the build's targets cache the library (same rule as OrtDiffusion.Runtime.targets).</summary>
    internal static string BuildCacheDirectory()
    {
        var root = Environment.GetEnvironmentVariable("ORTDIFFUSION_CACHE");
        if (string.IsNullOrWhiteSpace(root))
            root = System.IO.Path.Combine(
                Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "ortdiffusion");
        return System.IO.Path.Combine(root, "onnxruntime-node-" + OnnxRuntime.BundledVersion);
    }
}
