using OrtDiffusion.Runtime.Native;

namespace OrtDiffusion.Runtime;

/// <summary>
/// Which ONNX Runtime library this process uses, and facts about it. The library is found in this order:
/// the environment variable <see cref="LibraryPathEnvironmentVariable"/> (full path to a libonnxruntime, e.g. a
/// CUDA build); else the path given to <see cref="Initialize"/>; else the library the build copied next to this
/// assembly or the application; else the build cache; else the system's library search path.
/// </summary>
public static unsafe class OnnxRuntime
{
    /// <summary>Environment variable naming the full path of the ONNX Runtime library to load; it wins over everything.</summary>
    public const string LibraryPathEnvironmentVariable = "ORTDIFFUSION_ONNXRUNTIME_LIB";

    /// <summary>The ONNX Runtime version the build fetches and copies next to the application.</summary>
    public const string BundledVersion = "1.30.0";

    /// <summary>The version of the C API function table this binding reads.</summary>
    public const int ApiVersion = (int)OrtApiSlots.TargetApiVersion;

    /// <summary>
    /// Loads ONNX Runtime from <paramref name="libraryPath"/> (unless <see cref="LibraryPathEnvironmentVariable"/>
    /// is set, which still wins). Call it before any other use of ONNX Runtime; calling it again with the same
    /// path is harmless, with another path after loading throws <see cref="InvalidOperationException"/>.
    /// </summary>
    /// <param name="libraryPath">Full path to a libonnxruntime shared library.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static void Initialize(string libraryPath) => NativeApi.Initialize(libraryPath);

    /// <summary>Whether the library is loaded yet.</summary>
    public static bool IsLoaded => NativeApi.IsLoaded;

    /// <summary>The loaded library's version, e.g. "1.30.0" (loads the library if needed).</summary>
    public static string Version => NativeApi.Instance.Version;

    /// <summary>Full path of the loaded library (loads the library if needed).</summary>
    public static string LibraryPath => NativeApi.Instance.Path;

    /// <summary>
    /// ONNX Runtime's build description ("ORT Build Info: git-branch=…, build type=Release"), or null for
    /// libraries older than 1.15, which do not report it.
    /// </summary>
    public static string? BuildInfo
    {
        get
        {
            var table = NativeApi.Instance.TableForVersion(OrtApiSlots.BuildInfoApiVersion);
            if (table is null)
                return null;
            return Utf8.ToString(((delegate* unmanaged[Cdecl]<byte*>)table[OrtApiSlots.GetBuildInfoString])());
        }
    }
}
