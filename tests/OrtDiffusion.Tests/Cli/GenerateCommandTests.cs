using OrtDiffusion.Imaging;
using OrtDiffusion.IO;
using OrtDiffusion.Randomness;
using OrtDiffusion.Tests.TinyModels;

namespace OrtDiffusion.Tests.Cli;

[Collection(ZooCollection.Name)]
public sealed class GenerateCommandTests(ZooFixture zoo)
{
    private string[] Args(string output, params string[] extra) =>
        ["generate", "--model", zoo.StableDiffusion, "--prompt", "a photo of a cat", "--steps", "6", "--width", "64", "--height", "64", "--scheduler", "ddim", "--out", output, .. extra];

    [Fact]
    public void Writes_a_png_with_parameters_and_is_reproducible()
    {
        using var dir = new TempFolder();
        var (code, output) = CliRunner.Run(Args(dir.File("a.png"), "--seed", "3"));
        Assert.True(code == 0, output);
        Assert.Equal(0, CliRunner.Run(Args(dir.File("b.png"), "--seed", "3")).ExitCode);
        var a = PngReader.Read(dir.File("a.png"));
        Assert.Equal(File.ReadAllBytes(dir.File("a.png")), File.ReadAllBytes(dir.File("b.png")));
        Assert.Equal("a photo of a cat", a.Parameters!.Prompt);
        Assert.Equal(3UL, a.Parameters.Seed);
    }

    [Fact]
    public void Init_latents_from_npy_equal_the_seeded_noise()
    {
        using var dir = new TempFolder();
        NpyFile.Write(dir.File("noise.npy"), new TorchGenerator(11).Randn(1, 4, 8, 8), 1, 4, 8, 8);
        Assert.Equal(0, CliRunner.Run(Args(dir.File("seeded.png"), "--seed", "11")).ExitCode);
        Assert.Equal(0, CliRunner.Run(Args(dir.File("given.png"), "--seed", "99", "--init-latents", dir.File("noise.npy"))).ExitCode);
        Assert.Equal(PngReader.Read(dir.File("seeded.png")).Image.Pixels, PngReader.Read(dir.File("given.png")).Image.Pixels);
    }

    [Fact]
    public void A_batch_writes_numbered_files_and_image_to_image_reads_a_png()
    {
        using var dir = new TempFolder();
        Assert.Equal(0, CliRunner.Run(Args(dir.File("batch.png"), "--batch", "2")).ExitCode);
        Assert.True(File.Exists(dir.File("batch-0.png")) && File.Exists(dir.File("batch-1.png")));
        var (code, output) = CliRunner.Run(Args(dir.File("edit.png"), "--init-image", dir.File("batch-0.png"), "--strength", "0.5"));
        Assert.True(code == 0, output);
        Assert.Contains("3 UNet calls", output);
    }

    [Fact]
    public void A_pixart_folder_is_detected_and_sampled_with_its_own_defaults()
    {
        using var dir = new TempFolder();

        // 20 steps and guidance 4.5 are PixArt-α's defaults. The zoo's transformer is trained at no bucketed size (no
        // binning table), so sizes must be multiples of 16 (VAE 8 × patch 2); binning is tested in PixArtPipelineTests.
        var (bad, badOutput) = CliRunner.Run("generate", "--model", zoo.Layout.PixArt, "--prompt", "a cat", "--width", "60", "--height", "44", "--out", dir.File("bad.png"));
        Assert.Equal(1, bad);
        Assert.Contains("multiples of 16", badOutput);
        var (code, output) = CliRunner.Run("generate", "--model", zoo.Layout.PixArt, "--prompt", "a photo of a cat", "--width", "64", "--height", "48", "--seed", "5", "--out", dir.File("pixart.png"));
        Assert.True(code == 0, output);
        Assert.Contains("20 transformer calls", output);
        var png = PngReader.Read(dir.File("pixart.png"));
        Assert.Equal((64, 48), (png.Image.Width, png.Image.Height));
        Assert.Equal(((int?)20, (double?)4.5, (ulong?)5UL), (png.Parameters!.Steps, png.Parameters.CfgScale, png.Parameters.Seed));

        // The same request through the library gives the same pixels.
        using var pipeline = OrtDiffusion.Pipelines.DiffusionModelFolder.OpenPipeline(zoo.Layout.PixArt);
        var result = pipeline.Generate(pipeline.DefaultRequest with { Prompt = "a photo of a cat", Width = 64, Height = 48, Seed = 5 });
        Assert.Equal(result.ToPixelImages()[0].Pixels, png.Image.Pixels);
        Assert.False(File.Exists(dir.File("bad.png")));
    }

    [Fact]
    public void Errors_leave_no_file()
    {
        using var dir = new TempFolder();
        var (code, output) = CliRunner.Run(["generate", "--model", zoo.StableDiffusion, "--prompt", "p", "--width", "60", "--height", "64", "--out", dir.File("x.png")]);
        Assert.Equal(1, code);
        Assert.Contains("multiples of 8", output);
        var (code2, output2) = CliRunner.Run(["generate", "--model", dir.File("missing"), "--prompt", "p", "--out", dir.File("y.png")]);
        Assert.Equal(1, code2);
        Assert.Contains("does not exist", output2);
        Assert.Empty(Directory.GetFiles(dir.Path));

        var (code3, output3) = CliRunner.Run(["generate", "--model", zoo.StableDiffusion, "--prompt", "p", "--steps", "2", "--steps", "3", "--out", dir.File("z.png")]);
        Assert.NotEqual(0, code3);
        Assert.Contains("--steps", output3);
    }

    [Fact]
    public void Date_options_run_date_and_write_a_trace()
    {
        using var dir = new TempFolder();
        var clip = zoo.Layout.Rewards[OrtDiffusion.Rewards.RewardKind.Clip];
        var aesthetic = zoo.Layout.Rewards[OrtDiffusion.Rewards.RewardKind.Aesthetic];
        var (code, output) = CliRunner.Run(Args(dir.File("date.png"), "--date", clip, "--date", $"{aesthetic}=0.05", "--date-rho", "0.3", "--date-every", "2", "--trace", dir.File("trace.json")));
        Assert.True(code == 0, output);
        Assert.Contains("3 update steps", output);
        Assert.Contains("mean clip=1,aesthetic=0.05 gain", output);
        using var trace = System.Text.Json.JsonDocument.Parse(File.ReadAllText(dir.File("trace.json")));
        var steps = trace.RootElement.GetProperty("steps");
        Assert.Equal(6, steps.GetArrayLength());
        Assert.True(steps[0].GetProperty("scheduled").GetBoolean());
        Assert.False(steps[1].GetProperty("scheduled").GetBoolean());
        Assert.Equal(1, steps[0].GetProperty("reward_after").GetArrayLength());
        Assert.True(steps[0].GetProperty("calls_ms").GetArrayLength() >= 6);
        Assert.Equal(0.3, trace.RootElement.GetProperty("options").GetProperty("rho").GetDouble(), 5);
    }

    [Fact]
    public void Date_schedule_options_exclude_each_other()
    {
        using var dir = new TempFolder();
        var clip = zoo.Layout.Rewards[OrtDiffusion.Rewards.RewardKind.Clip];
        var (code, output) = CliRunner.Run(Args(dir.File("x.png"), "--date", clip, "--date-every", "2", "--date-steps", "1,3"));
        Assert.Equal(1, code);
        Assert.Contains("either --date-every or --date-steps", output);
        Assert.False(File.Exists(dir.File("x.png")));
    }

    [Fact]
    public void Cuda_on_this_cpu_build_says_what_to_do()
    {
        using var dir = new TempFolder();
        var (code, output) = CliRunner.Run(Args(dir.File("x.png"), "--device", "cuda"));
        Assert.Equal(1, code);
        Assert.Contains("CUDA", output);
        Assert.Contains("ORTDIFFUSION_ONNXRUNTIME_LIB", output);
        Assert.False(File.Exists(dir.File("x.png")));
    }

    [Fact]
    public void Demo_runs_every_method_on_both_backbones_and_compares_rewards()
    {
        using var dir = new TempFolder();
        var (code, output) = CliRunner.Run("demo", "--out", dir.Path, "--steps", "10", "--ipgo-epochs", "2");
        Assert.True(code == 0, output);
        foreach (var png in new[] { "fixed.png", "date.png", "ipgo.png", "pixart-fixed.png", "pixart-date.png" })
        {
            Assert.True(File.Exists(dir.File(png)), png);
        }

        // The tokens the IPGO row was generated with are saved, trained with the demo's sampler settings.
        var tokens = OrtDiffusion.Ipgo.IpgoTokens.Load(dir.File("ipgo.tokens"));
        Assert.Equal(2, tokens.History.EpochsDone);
        Assert.Equal((10, "ddim"), (tokens.Options.Steps, tokens.Options.Scheduler));
        Assert.Contains("CLIP score", output);
        Assert.Contains("PixArt", output);
        Assert.Contains("best", output);
    }

    [Fact]
    public void Zoo_command_writes_the_folders()
    {
        using var dir = new TempFolder();
        var (code, output) = CliRunner.Run("zoo", "--out", dir.Path);
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(dir.Path, "sd15", "unet", "model.onnx_data")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "rewards", "clip", "reward.json")));
    }
}
