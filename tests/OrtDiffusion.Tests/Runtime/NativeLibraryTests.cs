using OrtDiffusion.Runtime;
using OrtDiffusion.Runtime.Native;

namespace OrtDiffusion.Tests.Runtime;

/// <summary>The library the build fetched and copied, how it is found, and what it reports.</summary>
public class NativeLibraryTests
{
    [Fact]
    public void Build_copies_the_library_into_the_test_output()
    {
        // The targets in OrtDiffusion.Runtime must make the file flow to every referencing project's output.
        var copied = Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so.1");
        Assert.True(File.Exists(copied), $"{copied} is missing");
        Assert.True(new FileInfo(copied).Length > 10_000_000, "the copied library is implausibly small");
    }

    [Fact]
    public void Loads_version_1_30_from_the_application_folder()
    {
        Assert.Equal("1.30.0", OnnxRuntime.Version);
        if (Environment.GetEnvironmentVariable(OnnxRuntime.LibraryPathEnvironmentVariable) is null)
            Assert.Equal(Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so.1"), OnnxRuntime.LibraryPath);
    }

    [Fact]
    public void Build_info_comes_from_slot_254_of_the_v15_table()
    {
        // GetBuildInfoString is slot 254; a wrong slot would crash or return something else entirely.
        var info = OnnxRuntime.BuildInfo;
        Assert.NotNull(info);
        Assert.StartsWith("ORT Build Info:", info);
        Assert.Contains("build type=Release", info);
    }

    [Fact]
    public void Environment_variable_wins_over_an_explicit_path()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "libonnxruntime.so.1");
        var ex = Assert.Throws<FileNotFoundException>(() => NativeLibraryLocator.Load(missing, OnnxRuntime.LibraryPath));
        Assert.Contains(missing, ex.Message);
        Assert.Contains(OnnxRuntime.LibraryPathEnvironmentVariable, ex.Message);
    }

    [Fact]
    public void Explicit_path_is_used_when_no_environment_variable_is_set()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-dir-" + Guid.NewGuid().ToString("N"), "libonnxruntime.so");
        var ex = Assert.Throws<FileNotFoundException>(() => NativeLibraryLocator.Load(null, missing));
        Assert.Contains(missing, ex.Message);
        Assert.Contains("OnnxRuntime.Initialize", ex.Message);

        var (_, path) = NativeLibraryLocator.Load(null, OnnxRuntime.LibraryPath);
        Assert.Equal(OnnxRuntime.LibraryPath, path);
    }

    [Fact]
    public void Without_env_or_explicit_path_the_library_next_to_the_assembly_is_found()
    {
        var (_, path) = NativeLibraryLocator.Load(null, null);
        Assert.Equal(Path.Combine(AppContext.BaseDirectory, "libonnxruntime.so.1"), path);
    }

    [Fact]
    public void Initialize_with_another_path_after_loading_is_refused()
    {
        _ = OnnxRuntime.Version; // make sure it is loaded
        OnnxRuntime.Initialize(OnnxRuntime.LibraryPath); // the same path: harmless
        var other = Path.Combine(Path.GetTempPath(), "other", "libonnxruntime.so.1");
        var ex = Assert.Throws<InvalidOperationException>(() => OnnxRuntime.Initialize(other));
        Assert.Contains("already loaded", ex.Message);
    }
}
