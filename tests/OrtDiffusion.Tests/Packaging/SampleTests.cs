using System.Text.Json;
using OrtDiffusion.Imaging;
using OrtDiffusion.IO;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Tensors;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.Packaging;

/// <summary>
/// A private OrtDiffusion cache for the sample runs: the samples, given no model folder, write the tiny zoo into
/// <c>$ORTDIFFUSION_CACHE/tinyzoo-v{version}/</c>, and the tests open the same folders to compute what to expect.
/// </summary>
public sealed class SampleCacheFixture : IDisposable
{
    private readonly TempFolder folder = new("samples-cache");

    public string Root => folder.Path;

    public string Zoo => Path.Combine(Root, $"tinyzoo-v{TinyZoo.Version}");

    public void Dispose() => folder.Dispose();
}

/// <summary>
/// Runs the built samples (samples/*) as a user does, <c>dotnet Sample.dll …</c>, on the tiny zoo with few steps.
/// The expected images come from the same request made here through the library's API, which the pipeline tests
/// check on their own: a sample passes when it does exactly what its options say.
/// </summary>
public sealed class SampleTests(SampleCacheFixture cache) : IClassFixture<SampleCacheFixture>
{
    private const string Prompt = "a red cube on a wooden table";

    [Fact]
    public void TextToImage_WithoutAModel_WritesTheTinyZoo_AndSavesTheRequestedImageWithItsParameters()
    {
        using var output = new TempFolder("sample-txt2img");
        var png = output.File("cube.png");

        var run = RunSample("TextToImage", "--prompt", Prompt, "--steps", "4", "--seed", "7", "--scheduler", "ddim", "--guidance", "5", "--out", png);

        Assert.Contains(png, run.StandardOutput);
        Assert.True(File.Exists(Path.Combine(cache.Zoo, "sd15", "model_index.json")), "the sample should have written the tiny zoo into $ORTDIFFUSION_CACHE\n" + run.Describe());
        var saved = PngReader.Read(png);
        var parameters = saved.Parameters ?? throw new Xunit.Sdk.XunitException("the PNG has no parameters chunk");
        Assert.Equal((Prompt, 4, 7UL, "DDIM", 5.0, 64, 64), (parameters.Prompt, parameters.Steps, parameters.Seed, parameters.Sampler, parameters.CfgScale, parameters.Width, parameters.Height));

        var expected = Generate(new GenerationRequest { Prompt = Prompt, Steps = 4, Seed = 7, Scheduler = "ddim", GuidanceScale = 5, Width = 64, Height = 64 });
        AssertSamePixels(expected, saved.Image);
    }

    [Fact]
    public void Date_WithTheZoosClipReward_UpdatesAtTheScheduledSteps_AndWritesPngsTraceAndSummary()
    {
        using var output = new TempFolder("sample-date");

        var run = RunSample("Date", "--prompt", Prompt, "--steps", "6", "--every", "3", "--rho", "0.5", "--out", output.Path);

        // Every 3rd step from step 0 of 6: steps 0 and 3 update.
        Assert.Contains("DATE (every 3, ρ = 0.5): 2 update steps, 0 skipped", run.StandardOutput);
        using var trace = JsonDocument.Parse(File.ReadAllText(output.File("date-trace.json")));
        var steps = trace.RootElement.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(6, steps.Count);
        var scheduled = steps.Where(s => s.GetProperty("scheduled").GetBoolean()).ToList();
        Assert.Equal([0, 3], scheduled.Select(s => s.GetProperty("index").GetInt32()));
        foreach (var step in scheduled)
        {
            Assert.True(step.GetProperty("updated")[0].GetBoolean());
            Assert.True(step.GetProperty("gradient_norm")[0].GetDouble() > 0);
            Assert.True(float.IsFinite(step.GetProperty("reward_after")[0].GetSingle()));
        }

        Assert.Equal(0.5, trace.RootElement.GetProperty("options").GetProperty("rho").GetDouble());
        Assert.Equal(2, trace.RootElement.GetProperty("summary").GetProperty("update_steps").GetInt32());

        var date = PngReader.Read(output.File("date.png"));
        Assert.Equal("0.5", date.Parameters!.GetExtra("DATE rho"));
        Assert.Equal("every 3", date.Parameters.GetExtra("DATE schedule"));
        var fixedPng = PngReader.Read(output.File("fixed.png"));
        Assert.Null(fixedPng.Parameters!.GetExtra("DATE rho"));

        // The fixed run is the plain pipeline; DATE moved the embedding twice, so its image differs.
        var expectedFixed = Generate(new GenerationRequest { Prompt = Prompt, Steps = 6, Scheduler = "ddim", Width = 64, Height = 64 });
        AssertSamePixels(expectedFixed, fixedPng.Image);
        Assert.NotEqual(fixedPng.Image.Pixels, date.Image.Pixels);
    }

    [Fact]
    public void Ipgo_PutsTheTokenFilesAroundTheUnpaddedPromptEncoding_AndGeneratesFromThoseEmbeddings()
    {
        using var output = new TempFolder("sample-ipgo");
        const int width = 32; // the tiny zoo's text encoder width
        var prefix = Tokens(2, width, phase: 0.0);
        var suffix = Tokens(3, width, phase: 1.0);
        NpyFile.Write(output.File("prefix.npy"), prefix, 2, width);
        NpyFile.Write(output.File("suffix.npy"), suffix, 1, 3, width);
        var png = output.File("ipgo.png");

        var run = RunSample("Ipgo", "--prompt", Prompt, "--prefix", output.File("prefix.npy"), "--suffix", output.File("suffix.npy"), "--steps", "4", "--seed", "3", "--out", png);

        using var pipeline = StableDiffusionPipeline.Load(Path.Combine(cache.Zoo, "sd15"));
        var encoder = pipeline.Model.TextEncoder;
        var promptTokens = encoder.Tokenizer.EncodeUnpadded(Prompt).Length;
        Assert.Contains($"c = [P; E; S]: 2 prefix + {promptTokens} prompt + 3 suffix tokens, width {width}", run.StandardOutput);
        var saved = PngReader.Read(png);
        Assert.Equal(("2", "3", "LMS"), (saved.Parameters!.GetExtra("Prefix tokens"), saved.Parameters.GetExtra("Suffix tokens"), saved.Parameters.Sampler));

        // IPGO's embedding as papers/NOTES.md defines it: c = concat(P, E, S) with E the encoder output of the
        // prompt without padding; the unconditional embedding is "" padded to the same length.
        var length = 2 + promptTokens + 3;
        var conditional = new float[length * width];
        prefix.CopyTo(conditional, 0);
        encoder.Encode(Prompt, padded: false).Embedding.Data.CopyTo(conditional, 2 * width);
        suffix.CopyTo(conditional, (2 + promptTokens) * width);
        var unconditional = encoder.EncodeIds(encoder.Tokenizer.Encode("", maxLength: length).Ids);
        var embeddings = new PromptEmbeddings(new FloatTensor(conditional, 1, length, width), unconditional);
        var expected = pipeline.Generate(new GenerationRequest { Prompt = Prompt, Embeddings = embeddings, Steps = 4, Seed = 3, Scheduler = "lms", Width = 64, Height = 64 });
        AssertSamePixels(expected, saved.Image);
    }

    [Fact]
    public void Ipgo_TokensOfTheWrongWidth_FailWithTheFileAndBothShapes()
    {
        using var output = new TempFolder("sample-ipgo-bad");
        NpyFile.Write(output.File("prefix.npy"), new float[2 * 31], 2, 31);

        var run = RunSample("Ipgo", expectSuccess: false, "--prefix", output.File("prefix.npy"), "--steps", "1", "--out", output.File("x.png"));

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains($"'{output.File("prefix.npy")}' holds (2, 31); token vectors must be [n, 32] or [1, n, 32]", run.StandardError);
        Assert.False(File.Exists(output.File("x.png")));
    }

    private ProcessResult RunSample(string name, params string[] arguments) => RunSample(name, expectSuccess: true, arguments);

    private ProcessResult RunSample(string name, bool expectSuccess, params string[] arguments)
    {
        var environment = new Dictionary<string, string?> { [CacheFolders.EnvironmentVariable] = cache.Root };
        var result = ProcessRunner.Run(ProcessRunner.Dotnet, [RepositoryLayout.SampleAssembly(name), .. arguments], cache.Root, environment, TimeSpan.FromMinutes(3));
        return expectSuccess ? result.AssertSucceeded() : result;
    }

    private PixelImage Generate(GenerationRequest request)
    {
        using var pipeline = StableDiffusionPipeline.Load(Path.Combine(cache.Zoo, "sd15"));
        return pipeline.Generate(request).ToPixelImages()[0];
    }

    private static void AssertSamePixels(GenerationResult expected, PixelImage actual) => AssertSamePixels(expected.ToPixelImages()[0], actual);

    private static void AssertSamePixels(PixelImage expected, PixelImage actual)
    {
        Assert.Equal((expected.Width, expected.Height), (actual.Width, actual.Height));
        Assert.Equal(expected.ToRgb().Pixels, actual.ToRgb().Pixels);
    }

    // Deterministic, distinct token vectors of a magnitude like the encoder's outputs.
    private static float[] Tokens(int count, int width, double phase) =>
        [.. Enumerable.Range(0, count * width).Select(i => (float)Math.Sin((0.37 * i) + phase))];
}
