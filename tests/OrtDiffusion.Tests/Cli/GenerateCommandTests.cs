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
    public void Zoo_command_writes_the_folders()
    {
        using var dir = new TempFolder();
        var (code, output) = CliRunner.Run("zoo", "--out", dir.Path);
        Assert.True(code == 0, output);
        Assert.True(File.Exists(Path.Combine(dir.Path, "sd15", "unet", "model.onnx_data")));
        Assert.True(File.Exists(Path.Combine(dir.Path, "rewards", "clip", "reward.json")));
    }
}
