using System.Security.Cryptography;
using OrtDiffusion.Onnx;
using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>Determinism, seeds, the up-to-date stamp and option validation.</summary>
public sealed class ZooWritingTests
{
    private static Dictionary<string, string> Hashes(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(folder, f),
            f => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(f))));

    [Fact]
    public void Same_options_give_byte_identical_folders()
    {
        using var a = new TempFolder("zoo-a");
        using var b = new TempFolder("zoo-b");
        TinyZoo.WriteAll(a.Path, new TinyZooOptions { Seed = 7, Opset = 14 });
        TinyZoo.WriteAll(b.Path, new TinyZooOptions { Seed = 7, Opset = 14 });
        var first = Hashes(a.Path);
        Assert.Equal(first, Hashes(b.Path));
        Assert.True(first.Count >= 25, $"only {first.Count} files");
    }

    [Fact]
    public void Another_seed_changes_every_weight_but_not_the_graph_or_the_tokenizer()
    {
        var zero = ZooModels.All(new TinyZooOptions { Seed = 0 })["unet"];
        var one = ZooModels.All(new TinyZooOptions { Seed = 1 })["unet"];
        Assert.Equal(zero.Graph.Node.Select(n => n.Name), one.Graph.Node.Select(n => n.Name));
        var other = one.Graph.Initializer.ToDictionary(t => t.Name);
        foreach (var tensor in zero.Graph.Initializer)
        {
            Assert.NotEqual(tensor.RawData, other[tensor.Name].RawData);
        }

        using var a = new TempFolder("zoo-seed0");
        using var b = new TempFolder("zoo-seed1");
        TinyZoo.WriteStableDiffusion(a.Path, new TinyZooOptions { Seed = 0 });
        TinyZoo.WriteStableDiffusion(b.Path, new TinyZooOptions { Seed = 1 });
        Assert.Equal(File.ReadAllBytes(Path.Combine(a.Path, "tokenizer", "merges.txt")), File.ReadAllBytes(Path.Combine(b.Path, "tokenizer", "merges.txt")));
    }

    [Fact]
    public void Weights_have_the_initialisation_spread_their_fan_in_gives()
    {
        // conv1 of the first ResNet: 32 in-channels, 3×3 kernel, N(0, 1/288).
        var weights = OrtDiffusion.Onnx.IO.TensorProtos.Read<float>(ZooModels.All(TinyZooOptions.Default)["unet"].FindInitializer("down_blocks.0.resnets.0.conv1.weight"));
        var mean = weights.Average();
        var std = Math.Sqrt(weights.Average(w => (w - mean) * (w - mean)));
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(std, 0.95 / Math.Sqrt(288), 1.05 / Math.Sqrt(288));
    }

    [Fact]
    public void An_up_to_date_folder_is_kept_and_a_changed_option_rewrites_it()
    {
        using var root = new TempFolder("zoo-stamp");
        var folder = Path.Combine(root.Path, "sd");
        TinyZoo.WriteStableDiffusion(folder);
        var unet = Path.Combine(folder, "unet", "model.onnx");
        var written = File.GetLastWriteTimeUtc(unet);
        var marker = Path.Combine(folder, "marker.txt");
        File.WriteAllText(marker, "kept while up to date");

        TinyZoo.WriteStableDiffusion(folder);
        Assert.True(File.Exists(marker));
        Assert.Equal(written, File.GetLastWriteTimeUtc(unet));

        TinyZoo.WriteStableDiffusion(folder, new TinyZooOptions { Timestep = UNetTimestepKind.FloatScalar });
        Assert.False(File.Exists(marker));
        Assert.Equal("float[]", GraphFacts.Describe(GraphFacts.Input(OnnxModel.Load(unet), "timestep")));
        Assert.Equal(["sd"], Directory.GetFileSystemEntries(root.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Stable_diffusion_only_options_do_not_rebuild_the_rewards()
    {
        using var root = new TempFolder("zoo-rewards");
        var layout = TinyZoo.WriteAll(root.Path);
        var model = Path.Combine(layout.Rewards[RewardKind.Clip], "model.onnx");
        var written = File.GetLastWriteTimeUtc(model);
        TinyZoo.WriteAll(root.Path, new TinyZooOptions { Float16 = true, Timestep = UNetTimestepKind.FloatPerSample });
        Assert.Equal(written, File.GetLastWriteTimeUtc(model));
        Assert.Equal("float16[batch_size,4,height,width]", GraphFacts.Describe(GraphFacts.Input(OnnxModel.Load(Path.Combine(layout.StableDiffusion, "unet", "model.onnx")), "sample")));
    }

    [Fact]
    public void Concurrent_writers_of_one_folder_both_succeed_and_leave_one_complete_copy()
    {
        using var root = new TempFolder("zoo-race");
        var folder = Path.Combine(root.Path, "sd");
        Parallel.For(0, 4, _ => TinyZoo.WriteStableDiffusion(folder));
        Assert.True(File.Exists(Path.Combine(folder, "tinyzoo.json")));
        Assert.Equal(["sd"], Directory.GetFileSystemEntries(root.Path).Select(Path.GetFileName));
        using var other = new TempFolder("zoo-race-reference");
        TinyZoo.WriteStableDiffusion(other.Path);
        Assert.Equal(Hashes(other.Path), Hashes(folder));
    }

    [Fact]
    public void A_folder_with_a_damaged_stamp_is_rebuilt()
    {
        using var root = new TempFolder("zoo-damaged");
        var folder = Path.Combine(root.Path, "aesthetic");
        TinyZoo.WriteReward(folder, RewardKind.Aesthetic);
        File.WriteAllText(Path.Combine(folder, "tinyzoo.json"), "{ not json");
        File.Delete(Path.Combine(folder, "model.onnx"));
        TinyZoo.WriteReward(folder, RewardKind.Aesthetic);
        Assert.True(File.Exists(Path.Combine(folder, "model.onnx")));
    }

    [Fact]
    public void Without_options_the_vae_encoder_and_external_data_can_be_left_out()
    {
        using var root = new TempFolder("zoo-small");
        TinyZoo.WriteStableDiffusion(root.Path, new TinyZooOptions { IncludeVaeEncoder = false, UNetExternalData = false });
        Assert.False(Directory.Exists(Path.Combine(root.Path, "vae_encoder")));
        Assert.False(File.Exists(Path.Combine(root.Path, "unet", "model.onnx_data")));
        Assert.Empty(OnnxModel.Load(Path.Combine(root.Path, "unet", "model.onnx")).ExternalDataFiles());
        Assert.DoesNotContain("vae_encoder", File.ReadAllText(Path.Combine(root.Path, "model_index.json")));
    }

    [Theory]
    [InlineData(13, "Opset")]
    [InlineData(18, "Opset")]
    public void Unsupported_opsets_are_refused_naming_the_option(int opset, string expectedWord)
    {
        using var root = new TempFolder("zoo-bad");
        var e = Assert.Throws<ArgumentException>(() => TinyZoo.WriteStableDiffusion(root.Path, new TinyZooOptions { Opset = opset }));
        Assert.Contains(expectedWord, e.Message);
        Assert.Contains(opset.ToString(System.Globalization.CultureInfo.InvariantCulture), e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public void Float_input_ids_are_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new TinyZooOptions { InputIdsType = ElementType.Float }.Validate());
        Assert.Contains("InputIdsType", e.Message);
    }

    [Fact]
    public void An_undefined_reward_kind_is_refused_clearly()
    {
        using var root = new TempFolder("zoo-unknown");
        var e = Assert.Throws<NotSupportedException>(() => TinyZoo.WriteReward(Path.Combine(root.Path, "r"), (RewardKind)99));
        Assert.Contains("99", e.Message);
        Assert.Contains("ImageReward", e.Message);
    }
}
