using System.Xml.Linq;
using OrtDiffusion.Cli.Commands;
using OrtDiffusion.Imaging;
using OrtDiffusion.Ipgo;
using OrtDiffusion.Rewards;
using OrtDiffusion.Models;
using OrtDiffusion.Tensors;
using OrtDiffusion.Tests.Cli;
using OrtDiffusion.Tests.TinyModels;

namespace OrtDiffusion.Tests.Ipgo;

/// <summary><c>ortdiff ipgo train|apply</c> in-process on the tiny zoo.</summary>
[Collection(ZooCollection.Name)]
public sealed class IpgoCommandTests(ZooFixture zoo)
{
    // The zoo writes its reward folders beside sd15/ (rewards/aesthetic, rewards/clip; see TinyModels/README.md).
    private string Aesthetic => Path.Combine(Path.GetDirectoryName(zoo.StableDiffusion)!, "rewards", "aesthetic");

    private string Clip => Path.Combine(Path.GetDirectoryName(zoo.StableDiffusion)!, "rewards", "clip");

    private string[] Train(string output, params string[] extra) =>
        ["ipgo", "train", "--model", zoo.StableDiffusion, "--reward", Aesthetic, "--steps", "6", "--size", "64", "--prefix", "3", "--suffix", "3", "--out", output, .. extra];

    [Fact]
    public void Train_writes_tokens_plot_and_best_image_and_apply_generates_with_them()
    {
        using var dir = new TempFolder();
        var (code, output) = CliRunner.Run(Train(dir.File("cat.ipgo"), "--prompt", "a photo of a cat", "--epochs", "3", "--truncate", "2", "--plot", dir.File("curve.svg"), "--image", dir.File("best.png")));
        Assert.True(code == 0, output);
        Assert.Contains("epoch 3/3", output);
        Assert.Contains("reward: first epoch", output);

        var tokens = IpgoTokens.Load(dir.File("cat.ipgo"));
        Assert.Equal(3, tokens.History.EpochsDone);
        Assert.Equal(["a photo of a cat"], tokens.Metadata.Prompts);
        Assert.Equal((16, 3, 3, 2, "lms", 64), (tokens.Options.BasisSize, tokens.Options.PrefixLength, tokens.Options.SuffixLength, tokens.Options.Truncate, tokens.Options.Scheduler, tokens.Options.Width));
        Assert.Contains("aesthetic", tokens.Metadata.Reward);
        Assert.Equal(3, XDocument.Load(dir.File("curve.svg")).Descendants().Single(e => (string?)e.Attribute("id") == "reward").Attribute("points")!.Value.Split(' ').Length);
        var best = PngReader.Read(dir.File("best.png"));
        Assert.Equal(64, best.Image.Width);
        Assert.Equal("a photo of a cat", best.Parameters!.Prompt);

        var (applyCode, applyOutput) = CliRunner.Run("ipgo", "apply", "--model", zoo.StableDiffusion, "--tokens", dir.File("cat.ipgo"), "--prompt", "a photo of a cat", "--out", dir.File("apply.png"));
        Assert.True(applyCode == 0, applyOutput);
        var applied = PngReader.Read(dir.File("apply.png"));
        Assert.Equal((64, 64), (applied.Image.Width, applied.Image.Height));
        Assert.Equal(6, applied.Parameters!.Steps);

        // The applied image (same seed, the best tokens) is the best training image up to float rounding.
        var a = best.Image.ToRgb().Pixels;
        var b = applied.Image.ToRgb().Pixels;
        Assert.True(a.Zip(b).All(p => Math.Abs(p.First - p.Second) <= 1), "apply reproduces the best training image");

        // generate --tokens with the training settings is the same request as apply: the same PNG pixels.
        var t = tokens.Options;
        var (genCode, genOutput) = CliRunner.Run(
            "generate", "--model", zoo.StableDiffusion, "--tokens", dir.File("cat.ipgo"), "--prompt", "a photo of a cat", "--steps", "6", "--scheduler", "lms",
            "--width", "64", "--height", "64", "--seed", t.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--guidance", t.GuidanceScale.ToString(System.Globalization.CultureInfo.InvariantCulture), "--out", dir.File("generate.png"));
        Assert.True(genCode == 0, genOutput);
        Assert.Contains("IPGO tokens: 3 prefix + 3 suffix", genOutput);
        Assert.Equal(applied.Image.Pixels, PngReader.Read(dir.File("generate.png")).Image.Pixels);

        // The tokens wrap a CLIP encoder's output: a PixArt-α folder is refused before any model is opened.
        var (pixCode, pixOutput) = CliRunner.Run("generate", "--model", zoo.Layout.PixArt, "--tokens", dir.File("cat.ipgo"), "--prompt", "a cat", "--out", dir.File("pixart.png"));
        Assert.Equal(1, pixCode);
        Assert.Contains("PixArtAlpha", pixOutput);
        Assert.False(File.Exists(dir.File("pixart.png")));
    }

    [Fact]
    public void Resume_continues_to_the_same_bytes_as_an_uninterrupted_run()
    {
        using var dir = new TempFolder();
        string[] common = ["--prompt", "a red car", "--scheduler", "ddim"];
        Assert.Equal(0, CliRunner.Run(Train(dir.File("straight.ipgo"), [.. common, "--epochs", "3"])).ExitCode);
        Assert.Equal(0, CliRunner.Run(Train(dir.File("part.ipgo"), [.. common, "--epochs", "2"])).ExitCode);
        var (code, output) = CliRunner.Run("ipgo", "train", "--model", zoo.StableDiffusion, "--reward", Aesthetic, "--resume", dir.File("part.ipgo"), "--epochs", "3", "--out", dir.File("resumed.ipgo"));
        Assert.True(code == 0, output);
        Assert.Contains("resuming part.ipgo after epoch 2 of 3", output);
        Assert.Equal(File.ReadAllBytes(dir.File("straight.ipgo")), File.ReadAllBytes(dir.File("resumed.ipgo")));

        var (conflict, message) = CliRunner.Run("ipgo", "train", "--model", zoo.StableDiffusion, "--reward", Aesthetic, "--resume", dir.File("part.ipgo"), "--lr", "0.1", "--out", dir.File("x.ipgo"));
        Assert.Equal(1, conflict);
        Assert.Contains("leave out --lr", message);
    }

    [Fact]
    public void A_prompt_file_trains_shared_tokens_that_apply_to_an_unseen_prompt()
    {
        using var dir = new TempFolder();
        File.WriteAllLines(dir.File("prompts.txt"), ["# training prompts", "a photo of a cat", "", "a red car", "a house on a hill"]);
        var (code, output) = CliRunner.Run(Train(dir.File("set.ipgo"), "--prompts", dir.File("prompts.txt"), "--epochs", "1"));
        Assert.True(code == 0, output);
        var tokens = IpgoTokens.Load(dir.File("set.ipgo"));
        Assert.Equal(3, tokens.Metadata.Prompts.Count);
        Assert.Equal(4, tokens.Options.AccumulationSteps);
        Assert.Equal(1, tokens.Optimizer.Steps);
        var (applyCode, applyOutput) = CliRunner.Run("ipgo", "apply", "--model", zoo.StableDiffusion, "--tokens", dir.File("set.ipgo"), "--prompt", "a dog", "--out", dir.File("dog.png"));
        Assert.True(applyCode == 0, applyOutput);
    }

    [Fact]
    public void A_weighted_sum_of_reward_folders_scores_and_differentiates_as_the_sum()
    {
        using var sum = RewardSpec.Load([Aesthetic + "=0.5", Clip], ExecutionOptions.Default);
        using var aesthetic = RewardModel.Load(Aesthetic, ExecutionOptions.Default);
        using var clip = RewardModel.Load(Clip, ExecutionOptions.Default);
        Assert.Contains("aesthetic", sum.Name);
        Assert.Contains("clip", sum.Name);
        var rng = new Random(2);
        var images = new FloatTensor([.. Enumerable.Range(0, 2 * 3 * 40 * 40).Select(_ => (float)rng.NextDouble())], 2, 3, 40, 40);
        var s = sum.ScoreWithGradient(images, "a photo of a cat", [1f, 2f]);
        var a = aesthetic.ScoreWithGradient(images, "a photo of a cat", [0.5f, 1f]);
        var c = clip.ScoreWithGradient(images, "a photo of a cat", [1f, 2f]);
        var expected = aesthetic.Score(images, "a photo of a cat").Zip(clip.Score(images, "a photo of a cat"), (x, y) => (0.5f * x) + y).ToArray();
        Assert.Equal(expected, s.Scores);
        Assert.Equal(a.ImageGradient.Data.Zip(c.ImageGradient.Data, (x, y) => x + y), s.ImageGradient.Data);

        // The CLIP reward depends on the prompt (its text tower runs on the folder's tokenizer).
        Assert.NotEqual(clip.Score(images, "a photo of a cat"), clip.Score(images, "a red car"));
    }

    [Fact]
    public void Bad_input_is_reported_and_writes_nothing()
    {
        using var dir = new TempFolder();
        var words = string.Join(' ', Enumerable.Repeat("cat", 72));
        var (code, output) = CliRunner.Run(Train(dir.File("long.ipgo"), "--prompt", words));
        Assert.Equal(1, code);
        Assert.Contains("tokens (start and end included)", output);

        (code, output) = CliRunner.Run(Train(dir.File("both.ipgo"), "--prompt", "a", "--prompts", dir.File("p.txt")));
        Assert.Equal(1, code);
        Assert.Contains("either --prompt or --prompts", output);

        (code, output) = CliRunner.Run("ipgo", "train", "--model", zoo.StableDiffusion, "--reward", dir.File("nothing"), "--prompt", "a", "--out", dir.File("r.ipgo"));
        Assert.Equal(1, code);
        Assert.Contains("does not exist", output);

        (code, output) = CliRunner.Run(Train(dir.File("k.ipgo"), "--prompt", "a", "--basis", "40"));
        Assert.Equal(1, code);
        Assert.Contains("text width 32", output);

        (code, output) = CliRunner.Run("ipgo", "apply", "--model", zoo.StableDiffusion, "--tokens", dir.File("missing.ipgo"), "--prompt", "a", "--out", dir.File("a.png"));
        Assert.Equal(1, code);
        Assert.Contains("does not exist", output);
        Assert.Empty(Directory.GetFiles(dir.Path));
    }
}
