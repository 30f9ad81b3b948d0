using System.Text.Json;
using OrtDiffusion.Imaging;
using OrtDiffusion.IO;
using OrtDiffusion.Ipgo;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
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
    public void Ipgo_TrainsTheOptionsItIsGiven_SavesTokensThatLoad_AndItsPngsAreTheLoadedTokensEmbeddings()
    {
        using var output = new TempFolder("sample-ipgo");
        const string unseen = "a blue sphere in the snow";

        var run = RunSample("Ipgo", "--prompt", Prompt, "--unseen", unseen, "--epochs", "3", "--lr", "0.02", "--steps", "4", "--seed", "3", "--out", output.Path);

        // The tokens file records the training prompt, the settings the command line asked for and three epochs.
        var learned = IpgoTokens.Load(output.File("tokens.ipgo"));
        Assert.Equal([Prompt], learned.Metadata.Prompts);
        var o = learned.Options;
        Assert.Equal((3, 0.02, 4, 3UL, "lms", 64, 64), (o.Epochs, o.LearningRate, o.Steps, o.Seed, o.Scheduler, o.Width, o.Height));
        var history = learned.History;
        Assert.Equal(3, history.EpochsDone);

        // It prints every epoch's reward and the best, as the file holds them.
        var epochLines = run.StandardOutput.Split('\n').Where(l => l.StartsWith("epoch ", StringComparison.Ordinal)).ToList();
        Assert.Equal(3, epochLines.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Contains($"epoch {i + 1,3}/3: aesthetic {history.EpochRewards[i]:F4}", epochLines[i]);
        }

        Assert.Contains($"best {history.BestReward:F4} at epoch {history.BestEpoch + 1}", run.StandardOutput);

        // What it trained is what the API trains from the same options with the zoo's aesthetic reward (training is
        // deterministic), so the sample passed its command line through and nothing else.
        using var pipeline = StableDiffusionPipeline.Load(Path.Combine(cache.Zoo, "sd15"));
        using var reward = RewardModel.Load(Path.Combine(cache.Zoo, "rewards", TinyZoo.RewardFolderName(RewardKind.Aesthetic)));
        var trainer = new IpgoTrainer(pipeline, reward);
        var options = IpgoOptions.ForTextWidth(32) with { Epochs = 3, LearningRate = 0.02, Steps = 4, Seed = 3, Width = 64, Height = 64 };
        var expected = trainer.Train(trainer.CreateTokens(options, [Prompt])).Tokens;
        Assert.Equal(expected.History.EpochRewards, history.EpochRewards);
        Assert.Equal(expected.PrefixTokens().Data, learned.PrefixTokens().Data);
        Assert.Equal(expected.SuffixTokens().Data, learned.SuffixTokens().Data);

        // Each PNG is the pipeline's image for the loaded tokens' embedding of its prompt, with the training request.
        foreach (var (name, text) in new[] { ("trained", Prompt), ("unseen", unseen) })
        {
            var saved = PngReader.Read(output.File(name + ".png"));
            var parameters = saved.Parameters!;
            Assert.Equal((text, 4, 3UL, "LMS", 64, "tokens.ipgo"), (parameters.Prompt, parameters.Steps, parameters.Seed, parameters.Sampler, parameters.Width, parameters.GetExtra("IPGO tokens")));
            var request = new GenerationRequest { Prompt = text, Steps = 4, Seed = 3, Scheduler = "lms", Width = 64, Height = 64 };
            var embeddings = learned.Embed(pipeline.Model.TextEncoder, text);
            AssertSamePixels(pipeline.Generate(request with { Embeddings = embeddings }), saved.Image);

            // c = [P; E; S]: 10 prefix tokens, the unpadded prompt, 10 suffix tokens; they change the image.
            Assert.Equal(10 + pipeline.Model.TextEncoder.Tokenizer.EncodeUnpadded(text).Length + 10, embeddings.Conditional.Shape[1]);
            Assert.NotEqual(pipeline.Generate(request).ToPixelImages()[0].ToRgb().Pixels, saved.Image.ToRgb().Pixels);
        }
    }

    [Fact]
    public void Ipgo_APromptTooLongForTheTokens_FailsWithItsTokenCount_BeforeTraining()
    {
        using var output = new TempFolder("sample-ipgo-long");
        var prompt = string.Join(' ', Enumerable.Repeat("cube", 70));

        var run = RunSample("Ipgo", expectSuccess: false, "--prompt", prompt, "--epochs", "1", "--steps", "1", "--out", output.Path);

        // 70 words + start and end tokens, plus 10 + 10 learned tokens, is more than the encoder's 77 positions.
        using var pipeline = StableDiffusionPipeline.Load(Path.Combine(cache.Zoo, "sd15"));
        var count = pipeline.Model.TextEncoder.Tokenizer.EncodeUnpadded(prompt).Length;
        Assert.True(count >= 72, $"the zoo's tokenizer made {count} tokens of 70 words");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains($"has {count} tokens (start and end included); with 10 prefix and 10 suffix tokens that is {count + 20}, more than the 77", run.StandardError);
        Assert.False(File.Exists(output.File("tokens.ipgo")));
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
}
