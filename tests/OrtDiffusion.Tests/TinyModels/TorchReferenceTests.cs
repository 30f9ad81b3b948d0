using OrtDiffusion.Onnx;
using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels;
using OrtDiffusion.TinyModels.Building;
using OrtDiffusion.TinyModels.Models;
using static OrtDiffusion.Tests.TinyModels.TorchReference;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>
/// Each zoo graph, run in ONNX Runtime, computes what the same network written as torch modules computes
/// (Reference/zoo_torch_reference.py: F.group_norm, F.layer_norm, F.interpolate, plain attention, with the
/// zoo's weights). So the exported op patterns are the intended diffusers / transformers networks.
/// </summary>
[Collection(ZooCollection.Name)]
public sealed class TorchReferenceTests(ZooFixture zoo)
{
    private const double Tolerance = 2e-5;

    [Fact]
    public void Text_encoder_matches_clip_text_model()
    {
        var e = Expected.GetProperty("text_encoder");
        var shape = Ints(e.GetProperty("shape")).Select(d => (long)d).ToArray();
        using var runner = new ModelRunner(zoo.Model("text_encoder"));
        var outputs = runner.Ids("input_ids", Ints(e.GetProperty("input_ids")), shape).Run();
        AssertClose(Floats(e.GetProperty("last_hidden_state")), outputs["last_hidden_state"].Values, Tolerance, "last_hidden_state");
        AssertClose(Floats(e.GetProperty("pooler_output")), outputs["pooler_output"].Values, Tolerance, "pooler_output");
    }

    [Fact]
    public void Unet_matches_unet2dconditionmodel_with_per_sample_timesteps_on_a_non_square_latent()
    {
        var e = Expected.GetProperty("unet");
        using var runner = new ModelRunner(zoo.Model("unet"));
        var output = runner
            .Float("sample", Wave(2 * 4 * 8 * 12, 0.7, 0.3, 1.2, 0), 2, 4, 8, 12)
            .Int64("timestep", [500, 20], 2)
            .Float("encoder_hidden_states", Wave(2 * 10 * 32, 0.13, 0.5, 0.9, 0), 2, 10, 32)
            .Run()["out_sample"];
        Assert.Equal([2L, 4, 8, 12], output.Shape);
        AssertClose(Floats(e.GetProperty("out_sample")), output.Values, Tolerance, "out_sample");
    }

    [Fact]
    public void Vae_decoder_matches_autoencoderkl_decode()
    {
        var e = Expected.GetProperty("vae_decoder");
        using var runner = new ModelRunner(zoo.Model("vae_decoder"));
        var output = runner.Float("latent_sample", Wave(4 * 6 * 10, 0.05, 0.2, 1.5, 0), 1, 4, 6, 10).Run()["sample"];
        Assert.Equal([1L, 3, 48, 80], output.Shape);
        var every = e.GetProperty("every").GetInt32();
        AssertClose(Floats(e.GetProperty("sample_every")), output.Values.Where((_, i) => i % every == 0).ToArray(), Tolerance, "sample");
        Assert.Equal(e.GetProperty("mean").GetDouble(), output.Values.Average(), 5);
    }

    [Fact]
    public void Vae_encoder_matches_autoencoderkl_encode_moments()
    {
        var e = Expected.GetProperty("vae_encoder");
        using var runner = new ModelRunner(zoo.Model("vae_encoder"));
        var output = runner.Float("sample", Wave(3 * 32 * 48, 0.01, 0, 0.5, 0.5), 1, 3, 32, 48).Run()["latent_parameters"];
        Assert.Equal([1L, 8, 4, 6], output.Shape);
        AssertClose(Floats(e.GetProperty("latent_parameters")), output.Values, Tolerance, "latent_parameters");
    }

    [Fact]
    public void Clip_reward_matches_clip_cosine_and_text_tower()
    {
        var ids = Ints(Expected.GetProperty("text_encoder").GetProperty("input_ids"));
        var eos = OrtDiffusion.TinyModels.Tokenizer.TinyClipVocabulary.Default.Size - 1;
        var ids77 = new int[2 * 77];
        Array.Fill(ids77, eos);
        Array.Copy(ids, 0, ids77, 0, 10);
        Array.Copy(ids, 10, ids77, 77, 10);
        using var text = new ModelRunner(zoo.Reward(RewardKind.Clip, "text_model.onnx"));
        var embeds = text.Ids("input_ids", ids77, 2, 77).Run()["text_embeds"];
        AssertClose(Floats(Expected.GetProperty("clip_text").GetProperty("text_embeds")), embeds.Values, Tolerance, "text_embeds");

        using var score = new ModelRunner(zoo.Reward(RewardKind.Clip));
        var scores = score
            .Float("images", Wave(2 * 3 * 48 * 80, 0.013, 1, 0.45, 0.5), 2, 3, 48, 80)
            .Float("text_embeds", embeds.Values[..32], 1, 32)
            .Run()["score"];
        AssertClose(Floats(Expected.GetProperty("clip_score").GetProperty("score")), scores.Values, Tolerance, "score");
    }

    [Fact]
    public void Aesthetic_reward_matches_the_linear_head_on_clip_features()
    {
        using var runner = new ModelRunner(zoo.Reward(RewardKind.Aesthetic));
        var scores = runner.Float("images", Wave(2 * 3 * 48 * 80, 0.013, 1, 0.45, 0.5), 2, 3, 48, 80).Run()["score"];
        AssertClose(Floats(Expected.GetProperty("aesthetic").GetProperty("score")), scores.Values, Tolerance, "score");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void In_graph_preprocessing_matches_torch_resize_shorter_side_centre_crop_and_clip_normalisation(int index)
    {
        var c = PreprocessExpected.GetProperty("cases")[index];
        int height = c.GetProperty("height").GetInt32(), width = c.GetProperty("width").GetInt32();
        var net = new ExportGraph("preprocess", 17, 0, ElementType.Float);
        var images = net.G.Input("images", ElementType.Float, "batch_size", 3, "height", "width");
        net.G.Output(ClipImageTower.Preprocess(net, images), "pixel_values", ElementType.Float, "batch_size", 3, 32, 32);
        using var dir = new TempFolder("preprocess");
        var path = dir.File("preprocess.onnx");
        net.G.ToModel().Save(path);

        using var runner = new ModelRunner(path);
        var pixels = runner.Float("images", Wave(3 * height * width, 0.021, 0.4, 0.45, 0.5), 1, 3, height, width).Run()["pixel_values"];
        Assert.Equal([1L, 3, 32, 32], pixels.Shape);
        var every = PreprocessExpected.GetProperty("every").GetInt32();
        AssertClose(Floats(c.GetProperty("pixel_values_every")), pixels.Values.Where((_, i) => i % every == 0).ToArray(), 1e-5, $"{height}x{width}");
    }
}
