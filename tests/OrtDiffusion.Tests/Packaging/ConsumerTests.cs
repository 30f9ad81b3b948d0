using System.Diagnostics;
using OrtDiffusion.Imaging;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Runtime.Native;
using Xunit.Abstractions;

namespace OrtDiffusion.Tests.Packaging;

/// <summary>
/// The packages as a user meets them: a fresh <c>dotnet new console</c> project installs OrtDiffusion from the
/// local feed (next to the machine's NuGet source) and generates an image; the ortdiff tool is installed into a tool
/// path and run. Both run with an empty OrtDiffusion cache and no ORTDIFFUSION_ONNXRUNTIME_LIB, so ONNX Runtime can
/// only come from what the packages delivered: the buildTransitive copy in the app's output, the tool's own copy.
/// </summary>
[Collection(PackageFeedCollection.Name)]
public sealed class ConsumerTests(PackageFeedFixture feed, ITestOutputHelper log)
{
    private const string Prompt = "a red cube on a wooden table";

    private const string ConsumerProgram = """
        using OrtDiffusion.Pipelines;
        using OrtDiffusion.Runtime;
        using OrtDiffusion.TinyModels;

        // args: ZOO_FOLDER OUTPUT.png PROMPT
        var model = TinyZoo.WriteStableDiffusion(args[0]);
        using var pipeline = StableDiffusionPipeline.Load(model);
        var result = pipeline.Generate(new GenerationRequest { Prompt = args[2], Steps = 4, Seed = 11, Width = 64, Height = 64 });
        result.SavePng(args[1]);
        Console.WriteLine($"ONNX Runtime {OnnxRuntime.Version} loaded from {OnnxRuntime.LibraryPath}");
        """;

    private static readonly string NativeName = NativeLibraryLocator.FileNames[0];

    [Fact]
    public void Library_InAFreshConsoleProject_GetsOnnxRuntimeThroughBuildTransitive_AndGeneratesA64x64Image()
    {
        var clock = Stopwatch.StartNew();
        var app = Path.Combine(feed.Root, "ConsumerApp");
        Step("dotnet new console", () => feed.Dotnet(feed.Root, "new", "console", "-o", app, "--no-restore"));
        // `dotnet add package` restores against the local feed and the machine's source, as a user's install does.
        Step("dotnet add package OrtDiffusion", () => feed.Dotnet(app, "add", "package", "OrtDiffusion", "--version", feed.Version));
        Step("dotnet add package OrtDiffusion.TinyModels", () => feed.Dotnet(app, "add", "package", "OrtDiffusion.TinyModels", "--version", feed.Version));
        File.WriteAllText(Path.Combine(app, "Program.cs"), ConsumerProgram);
        Step("dotnet build", () => feed.Dotnet(app, "build", "--no-restore", "-nologo"));

        // NuGet imported the Runtime package's buildTransitive targets, and they put the library in the output.
        var imports = File.ReadAllText(Path.Combine(app, "obj", "ConsumerApp.csproj.nuget.g.targets"));
        Assert.Contains($"ortdiffusion.runtime/{feed.Version}/buildTransitive/OrtDiffusion.Runtime.targets", imports, StringComparison.OrdinalIgnoreCase);
        var output = Path.Combine(app, "bin", "Debug", RepositoryLayout.TargetFramework);
        var native = Path.Combine(output, NativeName);
        Assert.True(File.Exists(native), $"the build did not copy {NativeName} to {output}");

        var zoo = Path.Combine(feed.Root, "consumer-zoo");
        var png = Path.Combine(feed.Root, "consumer.png");
        var run = Step("run the app", () => ProcessRunner.Run(ProcessRunner.Dotnet, [Path.Combine(output, "ConsumerApp.dll"), zoo, png, Prompt], app, IsolatedFromTheBuildCache()).AssertSucceeded());
        Assert.Contains($"ONNX Runtime 1.30.0 loaded from {native}", run.StandardOutput);

        // The packaged library draws what the repository's build draws for the same zoo and request.
        var saved = PngReader.Read(png);
        Assert.Equal((64, 64, Prompt), (saved.Image.Width, saved.Image.Height, saved.Parameters?.Prompt));
        using var pipeline = StableDiffusionPipeline.Load(zoo);
        var expected = pipeline.Generate(new GenerationRequest { Prompt = Prompt, Steps = 4, Seed = 11, Width = 64, Height = 64 }).ToPixelImages()[0];
        Assert.Equal(expected.ToRgb().Pixels, saved.Image.ToRgb().Pixels);
        log.WriteLine($"consumer project: {clock.Elapsed.TotalSeconds:F1} s in all (packing the feed took {feed.PackTime.TotalSeconds:F1} s)");
    }

    [Fact]
    public void Tool_InstalledIntoAToolPath_RunsZooInfoAndGenerate_WithTheOnnxRuntimeItCarries()
    {
        var clock = Stopwatch.StartNew();
        var tools = Path.Combine(feed.Root, "tools");
        Step("dotnet tool install", () => feed.Dotnet(feed.Root, "tool", "install", "OrtDiffusion.Cli", "--tool-path", tools, "--version", feed.Version, "--add-source", feed.Feed));
        var carried = Directory.GetFiles(Path.Combine(tools, ".store"), NativeName, SearchOption.AllDirectories);
        Assert.Single(carried);

        var ortdiff = Path.Combine(tools, OperatingSystem.IsWindows() ? "ortdiff.exe" : "ortdiff");
        var zoo = Path.Combine(feed.Root, "tool-zoo");
        var zooRun = Step("ortdiff zoo", () => Ortdiff(ortdiff, "zoo", "--out", zoo));
        Assert.Contains("tiny zoo ready", zooRun.StandardOutput);
        Assert.True(File.Exists(Path.Combine(zoo, "sd15", "unet", "model.onnx")));
        Assert.True(File.Exists(Path.Combine(zoo, "rewards", "clip", "reward.json")));

        var info = Step("ortdiff info", () => Ortdiff(ortdiff, "info", "--model", Path.Combine(zoo, "sd15", "unet", "model.onnx")));
        foreach (var expected in new[] { "sample", "timestep", "encoder_hidden_states", "out_sample", "opsets ai.onnx 17", "external data: model.onnx_data" })
        {
            Assert.Contains(expected, info.StandardOutput);
        }

        // `info` only reads the graph; `generate` runs ONNX Runtime, which here can only be the tool's own copy.
        var png = Path.Combine(feed.Root, "tool.png");
        Step("ortdiff generate", () => Ortdiff(ortdiff, "generate", "--model", Path.Combine(zoo, "sd15"), "--prompt", Prompt, "--steps", "3", "--width", "64", "--height", "64", "--out", png));
        var saved = PngReader.Read(png);
        Assert.Equal((64, 64, 3), (saved.Image.Width, saved.Image.Height, saved.Parameters?.Steps));
        log.WriteLine($"tool: {clock.Elapsed.TotalSeconds:F1} s in all");
    }

    private ProcessResult Ortdiff(string ortdiff, params string[] arguments)
    {
        var environment = IsolatedFromTheBuildCache();
        if (Path.IsPathRooted(ProcessRunner.Dotnet))
        {
            environment["DOTNET_ROOT"] = Path.GetDirectoryName(ProcessRunner.Dotnet); // where the tool's launcher finds the runtime
        }

        return ProcessRunner.Run(ortdiff, arguments, feed.Root, environment).AssertSucceeded();
    }

    private Dictionary<string, string?> IsolatedFromTheBuildCache() => new()
    {
        ["ORTDIFFUSION_CACHE"] = feed.EmptyCache,
        ["ORTDIFFUSION_ONNXRUNTIME_LIB"] = null,
    };

    private T Step<T>(string name, Func<T> action)
    {
        var clock = Stopwatch.StartNew();
        var result = action();
        log.WriteLine($"{name}: {clock.Elapsed.TotalSeconds:F1} s");
        return result;
    }
}
