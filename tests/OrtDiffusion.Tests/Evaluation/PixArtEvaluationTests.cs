using System.Text.Json.Nodes;
using OrtDiffusion.Date;
using OrtDiffusion.Evaluation;
using OrtDiffusion.Imaging;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.Tests.Cli;

namespace OrtDiffusion.Tests.Evaluation;

/// <summary><c>ortdiff eval</c> on the zoo's PixArt-α folder: the paper's PixArt setting (DPM-Solver, 20 steps, CFG 4.5, DATE every 2nd step).</summary>
[Collection(EvaluationZooCollection.Name)]
public sealed class PixArtEvaluationTests(EvaluationZoo zoo)
{
    [Fact]
    public void Fixed_and_date_every_2_run_on_pixart_with_the_backbones_defaults()
    {
        var folder = zoo.NewFolder("pixart");
        var date = $"date:reward={zoo.Clip},every=2,label=date";

        // No --steps, --guidance, --width, --height: they come from PixArt-α's defaults.
        var (code, output) = CliRunner.Run("eval", "--model", zoo.Zoo.PixArt, "--prompts", zoo.PromptFile, "--method", "fixed", "--method", date, "--seeds", "4", "--metric", zoo.Clip, "--out", folder);
        Assert.True(code == 0, output);
        Assert.Contains("4 item(s) generated", output);
        Assert.Contains("| fixed | 2 |", output);
        Assert.Contains("| date | 2 |", output);
        foreach (var file in new[] { "summary.md", "summary.csv", "summary.json", "plots/reward-per-step.svg" })
        {
            Assert.True(File.Exists(Path.Combine(folder, file)), file);
        }

        // The run records the resolved settings: diffusers' PixArt-α defaults (20 steps, guidance 4.5) and the zoo
        // transformer's native size (sample_size 8 latents × VAE factor 8 = 64 px); the scheduler is the folder's own (DPM-Solver).
        var run = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "run.json")))!;
        var sampling = run["identity"]!["sampling"]!;
        Assert.Equal(20, sampling["steps"]!.GetValue<int>());
        Assert.Equal("4.5", sampling["guidance"]!.GetValue<string>());
        Assert.Equal((64, 64), (sampling["width"]!.GetValue<int>(), sampling["height"]!.GetValue<int>()));
        Assert.Equal("model default", sampling["scheduler"]!.GetValue<string>());
        Assert.Equal("PixArtAlpha", run["sources"]!["backbone"]!.GetValue<string>());

        var items = RunComparison.Items(folder);
        Assert.Equal(4, items.Count);

        // DATE every 2nd of 20 steps updates (and traces h(x̄₀)) at 0, 2, …, 18.
        Assert.All(items.Where(i => i.Method == "date"), i => Assert.Equal(Enumerable.Range(0, 10).Select(k => 2 * k), i.Trace!.Steps));
        Assert.All(items.Where(i => i.Method == "fixed"), i => Assert.Null(i.Trace));

        // Each image is the PixArt pipeline's own generation for that prompt and seed (its own T5 encoding, not the
        // run's), pixel for pixel: fixed with plain CFG, DATE with the predictor as a user would build it.
        using var pipeline = DiffusionModelFolder.OpenPipeline(zoo.Zoo.PixArt);
        using var reward = RewardModel.Load(zoo.Clip);
        foreach (var item in items)
        {
            var request = pipeline.DefaultRequest with { Prompt = item.Prompt, Seed = item.Seed };
            var predictor = item.Method == "date" ? new DateNoisePredictor(reward, pipeline.Decoder, item.Prompt, new DateOptions { Schedule = DateSchedule.Every(2) }) : null;
            var expected = pipeline.Generate(request, predictor).ToPixelImages()[0];
            var png = PngReader.Read(Path.Combine(folder, item.Image));
            Assert.Equal((64, 64), (png.Image.Width, png.Image.Height));
            Assert.True(expected.ToRgb().Pixels.AsSpan().SequenceEqual(png.Image.ToRgb().Pixels), $"{item.Key} differs from the pipeline's image");
            Assert.Equal(20, png.Parameters!.Steps);
        }

        // DATE changed the images.
        foreach (var prompt in items.GroupBy(i => i.PromptIndex))
        {
            var images = prompt.ToDictionary(i => i.Method, i => PngReader.Read(Path.Combine(folder, i.Image)).Image.Pixels);
            Assert.False(images["fixed"].AsSpan().SequenceEqual(images["date"]), $"prompt {prompt.Key}: DATE gave the fixed image");
        }
    }

    [Fact]
    public void Given_sampling_settings_override_the_pixart_defaults()
    {
        var folder = zoo.NewFolder("pixart-given");
        var settings = new EvaluationSettings
        {
            ModelFolder = zoo.Zoo.PixArt,
            Prompts = ["a red car on a street"],
            Methods = ["fixed"],
            Seeds = [1],
            Steps = 3,
            GuidanceScale = 2f,
            Scheduler = "ddim",
            OutputFolder = folder,
        };
        new EvaluationRunner(settings).Run();
        var item = Assert.Single(RunComparison.Items(folder));
        using var pipeline = DiffusionModelFolder.OpenPipeline(zoo.Zoo.PixArt);
        var expected = pipeline.Generate(pipeline.DefaultRequest with { Prompt = item.Prompt, Seed = 1, Steps = 3, GuidanceScale = 2f, Scheduler = "ddim" }).ToPixelImages()[0];
        var png = PngReader.Read(Path.Combine(folder, item.Image));
        Assert.True(expected.ToRgb().Pixels.AsSpan().SequenceEqual(png.Image.ToRgb().Pixels));
        Assert.Equal(3, png.Parameters!.Steps);
        Assert.Equal(2.0, png.Parameters.CfgScale);
    }
}
