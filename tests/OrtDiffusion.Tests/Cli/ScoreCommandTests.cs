using System.Text.Json;
using OrtDiffusion.Imaging;
using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;
using OrtDiffusion.Tests.Rewards;

namespace OrtDiffusion.Tests.Cli;

/// <summary><c>ortdiff score</c> in-process: the numbers it prints are the library's scores of the PNGs it reads.</summary>
[Collection(RewardZooCollection.Name)]
public sealed class ScoreCommandTests(RewardZooFixture zoo)
{
    private static string WritePng(TempFolder dir, string name, int width, int height, int seed)
    {
        var random = new Random(seed);
        var pixels = new byte[width * height * 3];
        random.NextBytes(pixels);
        var path = dir.File(name);
        PngWriter.Write(path, new PixelImage(width, height, PixelFormat.Rgb, pixels));
        return path;
    }

    private static float LibraryScore(string folder, string png, string prompt)
    {
        var image = PngReader.Read(png).Image;
        using var reward = RewardModel.Load(folder);
        return reward.Score(new FloatTensor(ImageTensor.FromImage(image, ImageValueRange.ZeroToOne), 1, 3, image.Height, image.Width), prompt)[0];
    }

    [Fact]
    public void Json_lists_each_rewards_score_and_the_weighted_total_per_image()
    {
        using var dir = new TempFolder("score-cli");
        var a = WritePng(dir, "a.png", 48, 40, 1);
        var b = WritePng(dir, "b.png", 64, 64, 2); // images of different sizes in one call
        var clip = zoo.Folders[RewardKind.Clip];
        var aesthetic = zoo.Folders[RewardKind.Aesthetic];
        var (code, output) = CliRunner.Run("score", "--reward", clip, "--reward", aesthetic + "=0.05", "--prompt", "a photo of a cat", "--json", a, b);
        Assert.True(code == 0, output);

        var json = JsonDocument.Parse(output).RootElement;
        Assert.Equal("a photo of a cat", json.GetProperty("prompt").GetString());
        Assert.Equal(["clip", "aesthetic"], json.GetProperty("rewards").EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        Assert.Equal(0.05, json.GetProperty("rewards")[1].GetProperty("weight").GetDouble(), 1e-7);
        var images = json.GetProperty("images").EnumerateArray().ToList();
        Assert.Equal([a, b], images.Select(i => i.GetProperty("image").GetString()));
        foreach (var (image, path) in images.Zip([a, b]))
        {
            var scores = image.GetProperty("scores");
            var expectedClip = LibraryScore(clip, path, "a photo of a cat");
            var expectedAesthetic = LibraryScore(aesthetic, path, "a photo of a cat");
            Assert.Equal(expectedClip, scores.GetProperty("clip").GetSingle());
            Assert.Equal(expectedAesthetic, scores.GetProperty("aesthetic").GetSingle());
            Assert.Equal(expectedClip + (0.05 * expectedAesthetic), image.GetProperty("total").GetDouble(), 1e-6);
        }
    }

    [Fact]
    public void The_table_has_a_column_per_reward_and_the_total()
    {
        using var dir = new TempFolder("score-cli-table");
        var a = WritePng(dir, "a.png", 40, 40, 3);
        var imageReward = zoo.Folders[RewardKind.ImageReward];
        var hps = zoo.Folders[RewardKind.HpsV2];
        var (code, output) = CliRunner.Run("score", "--reward", imageReward + "=0.5", "--reward", hps, "--prompt", "a red car", "--device", "cpu", a);
        Assert.True(code == 0, output);
        Assert.Contains("image_reward ×0.5", output);
        Assert.Contains("hpsv2", output);
        Assert.Contains("total", output);
        var ir = LibraryScore(imageReward, a, "a red car");
        var h = LibraryScore(hps, a, "a red car");
        Assert.Contains(ir.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture), output);
        Assert.Contains(((0.5 * ir) + h).ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture), output);
    }

    [Theory]
    [InlineData("missing-image", "does not exist")]
    [InlineData("missing-reward", "Reward folder")]
    [InlineData("bad-weight", "is not a number")]
    public void Bad_input_is_one_clear_error_line(string which, string expected)
    {
        using var dir = new TempFolder("score-cli-bad");
        var a = WritePng(dir, "a.png", 16, 16, 4);
        var clip = zoo.Folders[RewardKind.Clip];
        string[] args = which switch
        {
            "missing-image" => ["score", "--reward", clip, "--prompt", "p", dir.File("none.png")],
            "missing-reward" => ["score", "--reward", dir.File("no-reward"), "--prompt", "p", a],
            _ => ["score", "--reward", clip + "=lots", "--prompt", "p", a],
        };
        var (code, output) = CliRunner.Run(args);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, output);
    }
}
