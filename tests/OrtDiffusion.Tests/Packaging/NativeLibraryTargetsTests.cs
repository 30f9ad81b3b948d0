using System.Text.Json;

namespace OrtDiffusion.Tests.Packaging;

/// <summary>
/// Which ONNX Runtime binary OrtDiffusion.Runtime.targets (shipped as buildTransitive) picks for a runtime
/// identifier, evaluated by MSBuild without fetching anything. Expected paths come from the npm package's own
/// listing (<c>tar tzf onnxruntime-node-1.30.0.tgz</c>: package/bin/napi-v6/{linux,win32}/{x64,arm64}/…,
/// darwin/arm64/libonnxruntime.1.dylib), not from the targets.
/// </summary>
public sealed class NativeLibraryTargetsTests
{
    [Theory]
    [InlineData("linux-arm64", "linux-arm64/libonnxruntime.so.1", "package/bin/napi-v6/linux/arm64/libonnxruntime.so.1")]
    [InlineData("win-x64", "win32-x64/onnxruntime.dll", "package/bin/napi-v6/win32/x64/onnxruntime.dll")]
    [InlineData("osx-arm64", "darwin-arm64/libonnxruntime.1.dylib", "package/bin/napi-v6/darwin/arm64/libonnxruntime.1.dylib")]
    [InlineData("linux-musl-x64", "", null)] // the npm package has no musl build: nothing is fetched (ORTD005 warns)
    public void RuntimeIdentifier_SelectsThatPlatformsLibrary_InItsOwnCacheFolder(string rid, string cached, string? inPackage)
    {
        using var cache = new TempFolder("ort-targets");
        var properties = Evaluate(rid, cache.Path);

        var expected = cached.Length == 0 ? "" : Path.Combine(cache.Path, "onnxruntime-node-1.30.0", cached);
        Assert.Equal(expected, properties["OrtDiffusionOnnxRuntimeNativePath"]);
        if (inPackage is not null)
        {
            Assert.Equal(inPackage, properties["_OrtDiffusionPathInPackage"]);
        }
    }

    private static Dictionary<string, string> Evaluate(string rid, string cacheRoot)
    {
        var project = Path.Combine(RepositoryLayout.Root, "src", "OrtDiffusion.Runtime", "OrtDiffusion.Runtime.csproj");
        var result = ProcessRunner.RunDotnet(RepositoryLayout.Root, null, "msbuild", project, "-nologo",
            $"-p:RuntimeIdentifier={rid}", $"-p:OrtDiffusionCacheRoot={cacheRoot}",
            "-getProperty:OrtDiffusionOnnxRuntimeNativePath", "-getProperty:_OrtDiffusionPathInPackage").AssertSucceeded();
        using var json = JsonDocument.Parse(result.StandardOutput);
        return json.RootElement.GetProperty("Properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
    }
}
