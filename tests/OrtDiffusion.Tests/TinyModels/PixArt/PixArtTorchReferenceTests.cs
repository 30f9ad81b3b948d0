using System.Text.Json;
using static OrtDiffusion.Tests.TinyModels.TorchReference;

namespace OrtDiffusion.Tests.TinyModels.PixArt;

/// <summary>
/// Each PixArt zoo graph, run in ONNX Runtime, computes what the same network written as torch code computes
/// (Reference/pixart_torch_reference.py: T5EncoderModel and PixArtTransformer2DModel from the transformers / diffusers
/// semantics, on the zoo's weights). So the exported op patterns are the intended networks. Tolerance 2e-5 (absolute,
/// relative above 1), as for the Stable Diffusion zoo.
/// </summary>
[Collection(PixArtZooCollection.Name)]
public sealed class PixArtTorchReferenceTests(PixArtZooFixture zoo)
{
    private const double Tolerance = 2e-5;

    internal static readonly Lazy<JsonElement> Expected = new(() => JsonDocument.Parse(File.ReadAllText(
        Path.Combine(AppContext.BaseDirectory, "Fixtures", "tinymodels", "pixart", "pixart_torch_expected.json"))).RootElement);

    private static long[] Longs(JsonElement e) => e.EnumerateArray().Select(v => (long)v.GetDouble()).ToArray();

    [Fact]
    public void Text_encoder_matches_t5_encoder_model_with_relative_position_buckets_and_padding_mask()
    {
        var e = Expected.Value.GetProperty("text_encoder");
        var shape = Ints(e.GetProperty("shape")).Select(d => (long)d).ToArray();
        using var runner = new ModelRunner(zoo.Model("text_encoder"));
        var states = runner.Int64("input_ids", Longs(e.GetProperty("input_ids")), shape).Int64("attention_mask", Longs(e.GetProperty("attention_mask")), shape).Run()["last_hidden_state"];
        Assert.Equal([shape[0], shape[1], 32L], states.Shape);
        AssertClose(Floats(e.GetProperty("last_hidden_state")), states.Values, Tolerance, "last_hidden_state");
    }

    [Fact]
    public void Text_encoder_matches_at_pixarts_120_tokens_where_distant_positions_use_the_logarithmic_buckets()
    {
        var e = Expected.Value.GetProperty("text_encoder_120");
        using var runner = new ModelRunner(zoo.Model("text_encoder"));
        var states = runner.Int64("input_ids", Longs(e.GetProperty("input_ids")), 2, 120).Int64("attention_mask", Longs(e.GetProperty("attention_mask")), 2, 120).Run()["last_hidden_state"];
        var every = e.GetProperty("every").GetInt32();
        AssertClose(Floats(e.GetProperty("last_hidden_state_every")), states.Values.Where((_, i) => i % every == 0).ToArray(), Tolerance, "last_hidden_state");
    }

    [Fact]
    public void Transformer_matches_pixart_transformer_2d_on_a_non_square_latent_with_a_key_mask()
    {
        var e = Expected.Value.GetProperty("transformer");
        using var runner = new ModelRunner(zoo.Model("transformer"));
        var output = runner
            .Float("hidden_states", Wave(2 * 4 * 8 * 12, 0.7, 0.3, 1.2, 0), 2, 4, 8, 12)
            .Int64("timestep", Longs(e.GetProperty("timestep")), 2)
            .Float("encoder_hidden_states", Wave(2 * 10 * 32, 0.13, 0.5, 0.9, 0), 2, 10, 32)
            .Int64("encoder_attention_mask", Longs(e.GetProperty("encoder_attention_mask")), 2, 10)
            .Run()["out_sample"];
        Assert.Equal([2L, 8, 8, 12], output.Shape);
        AssertClose(Floats(e.GetProperty("out_sample")), output.Values, Tolerance, "out_sample");
    }

    [Fact]
    public void Conditioned_transformer_matches_with_resolution_aspect_ratio_float_timestep_and_float_mask_at_opset_14()
    {
        var e = Expected.Value.GetProperty("transformer_1024");
        using var runner = new ModelRunner(Path.Combine(zoo.Conditioned, "transformer", "model.onnx"));
        var output = runner
            .Float("hidden_states", Wave(2 * 4 * 6 * 10, 0.31, 0.1, 1.1, 0), 2, 4, 6, 10)
            .Float("timestep", Floats(e.GetProperty("timestep")), 2)
            .Float("encoder_hidden_states", Wave(2 * 7 * 32, 0.17, 0.2, 0.8, 0), 2, 7, 32)
            .Float("encoder_attention_mask", Floats(e.GetProperty("encoder_attention_mask")), 2, 7)
            .Float("resolution", Floats(e.GetProperty("resolution")), 2, 2)
            .Float("aspect_ratio", Floats(e.GetProperty("aspect_ratio")), 2, 1)
            .Run()["out_sample"];
        Assert.Equal([2L, 8, 6, 10], output.Shape);
        AssertClose(Floats(e.GetProperty("out_sample")), output.Values, Tolerance, "out_sample");
    }
}
