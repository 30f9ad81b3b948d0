using OrtDiffusion.Onnx;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.TinyModels.PixArt;

/// <summary>Input/output names, element types and symbolic dims of the PixArt networks per option, and runs at several sizes.</summary>
[Collection(PixArtZooCollection.Name)]
public sealed class PixArtContractTests(PixArtZooFixture zoo)
{
    private static string In(OnnxModel m, string name) => GraphFacts.Describe(GraphFacts.Input(m, name));

    private static string Out(OnnxModel m, string name) => GraphFacts.Describe(GraphFacts.Output(m, name));

    [Fact]
    public void Default_contracts_are_t5_encoder_and_pixart_transformer_exports()
    {
        var text = OnnxModel.Load(zoo.Model("text_encoder"));
        Assert.Equal(["input_ids", "attention_mask"], text.Graph.Input.Select(i => i.Name));
        Assert.Equal("int64[batch_size,sequence_length]", In(text, "input_ids"));
        Assert.Equal("int64[batch_size,sequence_length]", In(text, "attention_mask"));
        Assert.Equal("float[batch_size,sequence_length,32]", Out(text, "last_hidden_state"));
        Assert.Single(text.Graph.Output);

        var dit = OnnxModel.Load(zoo.Model("transformer"));
        Assert.Equal(["hidden_states", "timestep", "encoder_hidden_states", "encoder_attention_mask"], dit.Graph.Input.Select(i => i.Name));
        Assert.Equal("float[batch_size,4,height,width]", In(dit, "hidden_states"));
        Assert.Equal("int64[batch_size]", In(dit, "timestep"));
        Assert.Equal("float[batch_size,sequence_length,32]", In(dit, "encoder_hidden_states"));
        Assert.Equal("int64[batch_size,sequence_length]", In(dit, "encoder_attention_mask"));
        Assert.Equal("float[batch_size,8,height,width]", Out(dit, "out_sample"));

        var vae = OnnxModel.Load(zoo.Model("vae_decoder"));
        Assert.Equal("float[batch_size,4,height_latent,width_latent]", In(vae, "latent_sample"));
        Assert.Equal("float[batch_size,3,height,width]", Out(vae, "sample"));
    }

    [Fact]
    public void Conditioned_variant_adds_resolution_and_aspect_ratio_and_takes_float_timestep_and_mask()
    {
        var dit = OnnxModel.Load(Path.Combine(zoo.Conditioned, "transformer", "model.onnx"));
        Assert.Equal(["hidden_states", "timestep", "encoder_hidden_states", "encoder_attention_mask", "resolution", "aspect_ratio"], dit.Graph.Input.Select(i => i.Name));
        Assert.Equal("float[batch_size]", In(dit, "timestep"));
        Assert.Equal("float[batch_size,sequence_length]", In(dit, "encoder_attention_mask"));
        Assert.Equal("float[batch_size,2]", In(dit, "resolution"));
        Assert.Equal("float[batch_size,1]", In(dit, "aspect_ratio"));
        Assert.Equal(14, dit.OpsetVersion());
        Assert.DoesNotContain(dit.Graph.Node, n => n.OpType == "LayerNormalization");
        Assert.Contains(OnnxModel.Load(zoo.Model("transformer")).Graph.Node, n => n.OpType == "LayerNormalization");
    }

    [Theory]
    [InlineData(1, 120)]
    [InlineData(2, 120)]
    [InlineData(2, 9)]
    public void Text_encoder_runs_at_pixarts_length_and_shorter_with_unit_scale_states(int batch, int length)
    {
        using var runner = new ModelRunner(zoo.Model("text_encoder"));
        var ids = Enumerable.Range(0, batch * length).Select(i => (long)(3 + ((i * 37) % 250))).ToArray();
        var mask = Enumerable.Range(0, batch * length).Select(i => i % length < length - 2 ? 1L : 0L).ToArray();
        var states = runner.Int64("input_ids", ids, batch, length).Int64("attention_mask", mask, batch, length).Run()["last_hidden_state"];
        Assert.Equal([batch, length, 32L], states.Shape);
        Assert.True(states.AllFinite());
        Assert.InRange(states.Rms(), 0.5, 2); // final RMS norm with weights ≈ 1
    }

    [Theory]
    [InlineData(1, 120, 8, 8)]
    [InlineData(2, 120, 8, 8)]
    [InlineData(2, 7, 6, 10)]
    [InlineData(1, 3, 16, 4)]
    public void Transformer_runs_at_several_sizes_and_predicts_noise_of_unit_scale(int batch, int length, int height, int width)
    {
        using var runner = new ModelRunner(zoo.Model("transformer"));
        var latents = TestData.Normal(batch * 4 * height * width, 21);
        var output = runner
            .Float("hidden_states", latents, batch, 4, height, width)
            .Int64("timestep", Enumerable.Repeat(999L, batch).ToArray(), batch)
            .Float("encoder_hidden_states", TestData.Normal(batch * length * 32, 22), batch, length, 32)
            .Int64("encoder_attention_mask", Enumerable.Range(0, batch * length).Select(i => i % length < Math.Max(1, length / 2) ? 1L : 0L).ToArray(), batch, length)
            .Run()["out_sample"];
        Assert.Equal([batch, 8L, height, width], output.Shape);
        Assert.True(output.AllFinite());

        // ε (channels 0–3) follows the latent at t = 999, as a trained model's does: x_t is almost pure noise there.
        var eps = Channels(output.Values, batch, height * width, 0, 4);
        var correlation = Correlation(eps, latents);
        Assert.InRange(correlation, 0.9, 1);
        Assert.InRange(new Tensor(eps, [eps.Length], output.Type).Std(), 0.7, 1.5);
        var variance = Channels(output.Values, batch, height * width, 4, 4);
        Assert.InRange(new Tensor(variance, [variance.Length], output.Type).Std(), 0.05, 1.5);
    }

    [Fact]
    public void Conditioned_transformer_runs_with_resolution_and_aspect_ratio()
    {
        using var runner = new ModelRunner(Path.Combine(zoo.Conditioned, "transformer", "model.onnx"));
        var output = runner
            .Float("hidden_states", TestData.Normal(2 * 4 * 16 * 16, 23), 2, 4, 16, 16)
            .Float("timestep", [999f, 999f], 2)
            .Float("encoder_hidden_states", TestData.Normal(2 * 120 * 32, 24), 2, 120, 32)
            .Float("encoder_attention_mask", Enumerable.Range(0, 240).Select(i => i % 120 < 10 ? 1f : 0f).ToArray(), 2, 120)
            .Float("resolution", [128f, 128f, 128f, 128f], 2, 2)
            .Float("aspect_ratio", [1f, 1f], 2, 1)
            .Run()["out_sample"];
        Assert.Equal([2L, 8, 16, 16], output.Shape);
        Assert.True(output.AllFinite());
        Assert.InRange(output.Std(), 0.3, 1.5);
    }

    [Fact]
    public void Options_outside_the_zoo_are_refused_naming_the_option()
    {
        Assert.Contains("Opset", Assert.Throws<ArgumentException>(() => new PixArtZooOptions { Opset = 13 }.Validate()).Message);
        Assert.Contains("TimestepType", Assert.Throws<ArgumentException>(() => new PixArtZooOptions { TimestepType = ElementType.Int32 }.Validate()).Message);
        Assert.Contains("MaskType", Assert.Throws<ArgumentException>(() => new PixArtZooOptions { MaskType = ElementType.Bool }.Validate()).Message);
        using var root = new TempFolder("pixart-bad");
        Assert.Throws<ArgumentException>(() => TinyZoo.WritePixArt(root.Path, new PixArtZooOptions { Opset = 18 }));
        Assert.Empty(Directory.GetFileSystemEntries(root.Path));
    }

    [Fact]
    public void Whole_zoo_options_pass_their_seed_and_opset_only()
    {
        var options = PixArtZooOptions.From(new TinyZooOptions { Seed = 5, Opset = 14, Float16 = true, InputIdsType = ElementType.Int64 });
        Assert.Equal(PixArtZooOptions.Default with { Seed = 5, Opset = 14 }, options);
        Assert.Equal(PixArtZooOptions.Default, PixArtZooOptions.From(null));
    }

    /// <summary>The values of <paramref name="count"/> channels from <paramref name="first"/> of a <c>[B, 8, H, W]</c> output.</summary>
    private static float[] Channels(float[] output, int batch, int pixels, int first, int count)
    {
        var result = new float[batch * count * pixels];
        for (var b = 0; b < batch; b++)
        {
            Array.Copy(output, ((b * 8) + first) * pixels, result, b * count * pixels, count * pixels);
        }

        return result;
    }

    private static double Correlation(float[] a, float[] b)
    {
        double ma = a.Average(v => (double)v), mb = b.Average(v => (double)v), ab = 0, aa = 0, bb = 0;
        for (var i = 0; i < a.Length; i++)
        {
            ab += (a[i] - ma) * (b[i] - mb);
            aa += (a[i] - ma) * (a[i] - ma);
            bb += (b[i] - mb) * (b[i] - mb);
        }

        return ab / Math.Sqrt(aa * bb);
    }
}
