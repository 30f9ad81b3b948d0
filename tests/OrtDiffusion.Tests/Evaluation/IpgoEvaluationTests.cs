using OrtDiffusion.Evaluation;
using OrtDiffusion.Imaging;
using OrtDiffusion.Ipgo;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.Tests.Cli;

namespace OrtDiffusion.Tests.Evaluation;

/// <summary>The <c>ipgo:tokens=FILE[,last]</c> evaluation method on the zoo's Stable Diffusion folder, and its errors.</summary>
[Collection(EvaluationZooCollection.Name)]
public sealed class IpgoEvaluationTests(EvaluationZoo zoo)
{
    [Fact]
    public void Ipgo_images_are_the_pipelines_images_with_the_learned_tokens()
    {
        using var dir = new TempFolder("ipgo-eval");
        var tokensPath = dir.File("cat.ipgo");
        using (var trainingPipeline = StableDiffusionPipeline.Load(zoo.Zoo.StableDiffusion))
        using (var aesthetic = RewardModel.Load(zoo.Zoo.Rewards[RewardKind.Aesthetic]))
        {
            // One epoch: the best tokens are the ones the epoch was scored with, the last ones are after Adam's step,
            // so best and last differ. Trained with LMS, 3 steps and seed 11 — the run below samples otherwise.
            var trainer = new IpgoTrainer(trainingPipeline, aesthetic);
            var options = IpgoOptions.ForTextWidth(trainer.TextWidth) with
            {
                Epochs = 1, Steps = 3, Scheduler = "lms", Truncate = 1, Width = 64, Height = 64, Seed = 11, PrefixLength = 2, SuffixLength = 2,
            };
            var trained = trainer.CreateTokens(options, ["a photo of a cat, sitting"]);
            trainer.Train(trained);
            trained.Save(tokensPath);
        }

        var tokens = IpgoTokens.Load(tokensPath);
        Assert.False(tokens.PrefixTokens(best: true).Data.AsSpan().SequenceEqual(tokens.PrefixTokens(best: false).Data));

        var settings = new EvaluationSettings
        {
            ModelFolder = zoo.Zoo.StableDiffusion,
            Prompts = PromptFile.Read(zoo.PromptFile),
            Methods = ["fixed", $"ipgo:tokens={tokensPath}", $"ipgo:tokens={tokensPath},last,label=ipgo-last"],
            Seeds = [5],
            MetricRewards = [zoo.Clip],
            Steps = 4,
            Scheduler = "ddim",
            Width = 64,
            Height = 64,
            OutputFolder = zoo.NewFolder("ipgo"),
        };
        var result = new EvaluationRunner(settings).Run();
        var items = RunComparison.Items(result.Folder);
        Assert.Equal(6, items.Count);
        Assert.Equal(["fixed", "ipgo-cat", "ipgo-last"], items.Select(i => i.Method).Distinct());
        Assert.Equal(3, result.Summary.Methods.Count);

        // Each image equals the pipeline's generation with the run's settings (not the tokens file's) and the
        // embeddings IpgoTokens.Embed gives (c = [P; E; S], "" padded alike) — pixel for pixel.
        using var pipeline = StableDiffusionPipeline.Load(zoo.Zoo.StableDiffusion);
        var images = new Dictionary<(int Prompt, string Method), byte[]>();
        foreach (var item in items)
        {
            var request = new GenerationRequest { Prompt = item.Prompt, Seed = 5, Steps = 4, Scheduler = "ddim", Width = 64, Height = 64 };
            request = item.Method switch
            {
                "fixed" => request,
                "ipgo-cat" => request with { Embeddings = tokens.Embed(pipeline.Model.TextEncoder, item.Prompt, string.Empty, best: true) },
                _ => request with { Embeddings = tokens.Embed(pipeline.Model.TextEncoder, item.Prompt, string.Empty, best: false) },
            };
            var expected = pipeline.Generate(request).ToPixelImages()[0].ToRgb().Pixels;
            var png = PngReader.Read(Path.Combine(result.Folder, item.Image));
            var actual = png.Image.ToRgb().Pixels;
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"{item.Key} differs from the pipeline's image");
            Assert.Equal(4, png.Parameters!.Steps);
            images[(item.PromptIndex, item.Method)] = actual;
        }

        foreach (var prompt in new[] { 0, 1 })
        {
            Assert.False(images[(prompt, "fixed")].AsSpan().SequenceEqual(images[(prompt, "ipgo-cat")]), $"prompt {prompt}: the tokens changed nothing");
            Assert.False(images[(prompt, "ipgo-cat")].AsSpan().SequenceEqual(images[(prompt, "ipgo-last")]), $"prompt {prompt}: last and best gave one image");
        }
    }

    [Theory]
    [InlineData("ipgo", "IPGO needs tokens=FILE")]
    [InlineData("ipgo:last", "IPGO needs tokens=FILE")]
    [InlineData("ipgo:tokens=a.ipgo,steps=3", "unknown option 'steps'; ipgo takes tokens, last, label")]
    [InlineData("ipgo:tokens=a.ipgo,last=maybe", "last=maybe is not true or false")]
    public void Bad_ipgo_options_are_refused_before_the_file_is_read(string text, string message)
    {
        var e = Assert.Throws<FormatException>(() => EvaluationMethodRegistry.CreateDefault().Create(MethodSpec.Parse(text), ExecutionOptions.Default));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_missing_or_broken_tokens_file_is_named_before_anything_is_written()
    {
        using var dir = new TempFolder("ipgo-bad");
        var missing = dir.File("missing.ipgo");
        var broken = dir.File("broken.ipgo");
        File.WriteAllText(broken, "not a zip archive");

        var e = Assert.Throws<FileNotFoundException>(() => Create($"ipgo:tokens={missing}"));
        Assert.Contains($"Method 'ipgo:tokens={missing}'", e.Message);
        Assert.Contains($"'{missing}' does not exist", e.Message);
        var bad = Assert.Throws<InvalidDataException>(() => Create($"ipgo:tokens={broken}"));
        Assert.Contains($"'{broken}' is not an IPGO tokens file", bad.Message);

        // From the command line: one clear line, exit 1, and no run folder (so the corrected command is not refused).
        foreach (var (file, message) in new[] { (missing, "does not exist"), (broken, "is not an IPGO tokens file") })
        {
            var folder = zoo.NewFolder("ipgo-bad");
            var (code, printed) = CliRunner.Run(EvalArgs(zoo.Zoo.StableDiffusion, folder, $"ipgo:tokens={file}"));
            var output = OneLine(printed);
            Assert.Equal(1, code);
            Assert.Contains(message, output);
            Assert.Contains(Path.GetFileName(file), output);
            Assert.False(Directory.Exists(folder), output);
        }
    }

    [Fact]
    public void Ipgo_on_pixart_is_not_supported_and_nothing_is_written()
    {
        using var dir = new TempFolder("ipgo-pixart");
        var path = dir.File("t.ipgo");
        IpgoTokens.Create(ZooTextWidth(), IpgoOptions.ForTextWidth(ZooTextWidth()) with { PrefixLength = 2, SuffixLength = 2 }, new IpgoMetadata()).Save(path);
        var folder = zoo.NewFolder("ipgo-pixart");
        var (code, printed) = CliRunner.Run(EvalArgs(zoo.Zoo.PixArt, folder, $"ipgo:tokens={path}"));
        var output = OneLine(printed);
        Assert.Equal(1, code);
        Assert.Contains("IPGO tokens are learned in Stable Diffusion's CLIP embedding space", output);
        Assert.Contains("PixArtAlpha", output);
        Assert.False(Directory.Exists(folder), output);
    }

    [Fact]
    public void Tokens_of_another_width_or_prompts_without_room_for_them_are_refused_before_any_item()
    {
        using var dir = new TempFolder("ipgo-fit");
        var narrow = dir.File("narrow.ipgo");
        var width = ZooTextWidth() / 2;
        IpgoTokens.Create(width, IpgoOptions.ForTextWidth(width) with { PrefixLength = 2, SuffixLength = 2 }, new IpgoMetadata { BaseModel = "other" }).Save(narrow);
        var e = Assert.Throws<InvalidDataException>(() => new EvaluationRunner(Settings($"ipgo:tokens={narrow}", ["a cat"], zoo.NewFolder("narrow"))).Run());
        Assert.Contains($"the tokens in '{narrow}' are {width} wide", e.Message);
        Assert.Contains($"is {ZooTextWidth()} wide", e.Message);

        // CLIP takes 77 tokens; 70 words are at least 72 with start and end, and 10 + 10 learned tokens leave room for 57.
        var wide = dir.File("wide.ipgo");
        IpgoTokens.Create(ZooTextWidth(), IpgoOptions.ForTextWidth(ZooTextWidth()), new IpgoMetadata()).Save(wide);
        var longPrompt = string.Join(' ', Enumerable.Repeat("cat", 70));
        var folder = zoo.NewFolder("long");
        var tooLong = Assert.Throws<ArgumentException>(() => new EvaluationRunner(Settings($"ipgo:tokens={wide}", ["a cat", longPrompt], folder)).Run());
        Assert.Contains("1 of the 2 prompts do not fit with the 10 prefix and 10 suffix tokens in the 77 tokens CLIP takes", tooLong.Message);
        Assert.Contains("prompt #1", tooLong.Message);
        Assert.False(Directory.Exists(folder));
    }

    // The console wraps long lines at spaces.
    private static string OneLine(string printed) => System.Text.RegularExpressions.Regex.Replace(printed, @"\s+", " ");

    private static IEvaluationMethod Create(string text) =>
        EvaluationMethodRegistry.CreateDefault().Create(MethodSpec.Parse(text), ExecutionOptions.Default);

    private string[] EvalArgs(string model, string output, string method) =>
        ["eval", "--model", model, "--prompts", zoo.PromptFile, "--method", "fixed", "--method", method, "--steps", "2", "--width", "64", "--height", "64", "--out", output];

    private EvaluationSettings Settings(string method, IReadOnlyList<string> prompts, string output) => new()
    {
        ModelFolder = zoo.Zoo.StableDiffusion,
        Prompts = prompts,
        Methods = ["fixed", method],
        Seeds = [0],
        Steps = 2,
        Width = 64,
        Height = 64,
        OutputFolder = output,
    };

    // The zoo's CLIP width, read from its text encoder's output.
    private int ZooTextWidth()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.Zoo.StableDiffusion);
        return (int)pipeline.Model.TextEncoder.Encode(string.Empty, padded: false).Embedding.Shape[2];
    }
}
