using OrtDiffusion.Onnx;
using OrtDiffusion.TinyModels;
using OrtDiffusion.TinyModels.Models;
using OrtDiffusion.TinyModels.Tokenizer;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>The zoo's Stable Diffusion networks run in ONNX Runtime and keep their contracts across sizes and options.</summary>
[Collection(ZooCollection.Name)]
public sealed class ModelRunTests(ZooFixture zoo)
{
    private static readonly int Bos = TinyClipVocabulary.Default.Size - 2;
    private static readonly int Eos = TinyClipVocabulary.Default.Size - 1;

    /// <summary>BOS, some content ids, EOS, then EOS padding (as SD's tokenizer pads) to <paramref name="length"/>.</summary>
    private static int[] Ids(int batch, int length, int content = 4)
    {
        var ids = new int[batch * length];
        for (var b = 0; b < batch; b++)
        {
            var row = ids.AsSpan(b * length, length);
            row.Fill(Eos);
            row[0] = Bos;
            for (var i = 1; i <= Math.Min(content, length - 2); i++)
            {
                row[i] = 300 + (37 * i) + (11 * b);
            }
        }

        return ids;
    }

    private static string Save(OnnxModel model, TempFolder dir, string name)
    {
        var path = dir.File(name + ".onnx");
        model.Save(path);
        return path;
    }

    private static Dictionary<string, Tensor> RunUNet(string path, float[] sample, long[] shape, Action<ModelRunner> timestep, float[] context, int length)
    {
        using var runner = new ModelRunner(path);
        runner.Floating("sample", sample, shape).Floating("encoder_hidden_states", context, shape[0], length, 32);
        timestep(runner);
        return runner.Run();
    }

    [Theory]
    [InlineData(1, 77)]
    [InlineData(2, 77)]
    [InlineData(2, 5)]
    public void Text_encoder_keeps_its_contract_and_pools_the_first_eos_state(int batch, int length)
    {
        using var runner = new ModelRunner(zoo.Model("text_encoder"));
        var ids = Ids(batch, length);
        var outputs = runner.Ids("input_ids", ids, batch, length).Run();
        var last = outputs["last_hidden_state"];
        var pooled = outputs["pooler_output"];
        Assert.Equal([batch, length, 32L], last.Shape);
        Assert.Equal([batch, 32L], pooled.Shape);
        Assert.True(last.AllFinite());
        Assert.InRange(last.Std(), 0.5, 2); // final LayerNorm output

        // transformers pools last_hidden_state at argmax(ids): the first EOS, as EOS is the largest id.
        for (var b = 0; b < batch; b++)
        {
            var eos = Array.IndexOf(ids, Eos, b * length) - (b * length);
            Assert.Equal(last.Values.AsSpan(((b * length) + eos) * 32, 32).ToArray(), pooled.Values.AsSpan(b * 32, 32).ToArray());
        }
    }

    [Fact]
    public void Text_encoder_attention_is_causal()
    {
        using var runner = new ModelRunner(zoo.Model("text_encoder"));
        var ids = Ids(1, 12, content: 8);
        var before = runner.Ids("input_ids", ids, 1, 12).Run()["last_hidden_state"].Values;
        ids[5] += 1;
        var after = runner.Ids("input_ids", ids, 1, 12).Run()["last_hidden_state"].Values;
        Assert.Equal(before[..(5 * 32)], after[..(5 * 32)]);
        for (var position = 5; position < 12; position++)
        {
            Assert.NotEqual(before.AsSpan(position * 32, 32).ToArray(), after.AsSpan(position * 32, 32).ToArray());
        }
    }

    [Fact]
    public void Int64_input_ids_give_the_same_states_as_int32()
    {
        using var dir = new TempFolder("ids64");
        var path = Save(TextEncoderModel.Build(new TinyZooOptions { InputIdsType = ElementType.Int64 }, TinyClipVocabulary.Default.Size), dir, "text_encoder");
        var ids = Ids(2, 9);
        using var int32 = new ModelRunner(zoo.Model("text_encoder"));
        using var int64 = new ModelRunner(path);
        Assert.Equal(
            int32.Int32("input_ids", ids, 2, 9).Run()["last_hidden_state"].Values,
            int64.Int64("input_ids", Array.ConvertAll(ids, i => (long)i), 2, 9).Run()["last_hidden_state"].Values);
    }

    [Theory]
    [InlineData(1, 77, 8, 8)]
    [InlineData(2, 77, 8, 8)]
    [InlineData(2, 5, 8, 12)]
    [InlineData(1, 154, 16, 8)]
    public void Unet_keeps_its_contract_and_predicts_noise_of_unit_scale(int batch, int length, int height, int width)
    {
        long[] shape = [batch, 4, height, width];
        var t = Enumerable.Repeat(981L, batch).ToArray();
        var output = RunUNet(
            zoo.Model("unet"),
            TestData.Normal(batch * 4 * height * width, 1),
            shape,
            r => r.Int64("timestep", t, batch),
            TestData.Normal(batch * length * 32, 2),
            length)["out_sample"];
        Assert.Equal(shape, output.Shape);
        Assert.True(output.AllFinite());
        Assert.InRange(output.Std(), 0.5, 2);
        Assert.InRange(Math.Abs(output.Values.Average()), 0, 0.5);
    }

    [Fact]
    public void Unet_output_depends_on_timestep_and_text()
    {
        var sample = TestData.Normal(2 * 4 * 8 * 8, 3);
        var context = TestData.Normal(2 * 7 * 32, 4);
        Tensor Run(long t, float[] text) => RunUNet(zoo.Model("unet"), sample, [2, 4, 8, 8], r => r.Int64("timestep", [t, t], 2), text, 7)["out_sample"];
        var reference = Run(500, context);
        Assert.InRange(Tensor.RmsDifference(reference, Run(20, context)), 0.03, 1);
        Assert.InRange(Tensor.RmsDifference(reference, Run(500, TestData.Normal(2 * 7 * 32, 5))), 0.005, 1);
    }

    [Fact]
    public void All_three_timestep_flavours_give_the_same_output_for_the_same_t()
    {
        using var dir = new TempFolder("timesteps");
        var sample = TestData.Normal(2 * 4 * 8 * 8, 6);
        var context = TestData.Normal(2 * 77 * 32, 7);
        var int64 = RunUNet(zoo.Model("unet"), sample, [2, 4, 8, 8], r => r.Int64("timestep", [741, 741], 2), context, 77)["out_sample"];
        var broadcast = RunUNet(zoo.Model("unet"), sample, [2, 4, 8, 8], r => r.Int64("timestep", [741], 1), context, 77)["out_sample"];
        var perSample = RunUNet(Save(UNetModel.Build(new TinyZooOptions { Timestep = UNetTimestepKind.FloatPerSample }), dir, "float"), sample, [2, 4, 8, 8], r => r.Float("timestep", [741f, 741f], 2), context, 77)["out_sample"];
        var scalar = RunUNet(Save(UNetModel.Build(new TinyZooOptions { Timestep = UNetTimestepKind.FloatScalar }), dir, "scalar"), sample, [2, 4, 8, 8], r => r.Float("timestep", [741f]), context, 77)["out_sample"];
        Assert.Equal(int64.Values, broadcast.Values);
        Assert.Equal(int64.Values, perSample.Values);
        Assert.Equal(int64.Values, scalar.Values);
    }

    [Fact]
    public void Opset_14_decomposition_computes_the_same_networks_as_opset_17()
    {
        using var dir = new TempFolder("opset14");
        var options = new TinyZooOptions { Opset = 14 };
        var ids = Ids(2, 11);
        using var text17 = new ModelRunner(zoo.Model("text_encoder"));
        using var text14 = new ModelRunner(Save(TextEncoderModel.Build(options, TinyClipVocabulary.Default.Size), dir, "text"));
        var a = text17.Ids("input_ids", ids, 2, 11).Run()["last_hidden_state"];
        var b = text14.Ids("input_ids", ids, 2, 11).Run()["last_hidden_state"];
        Assert.InRange(Tensor.RmsDifference(a, b), 0, 1e-5);

        var sample = TestData.Normal(4 * 8 * 8, 8);
        var unet17 = RunUNet(zoo.Model("unet"), sample, [1, 4, 8, 8], r => r.Int64("timestep", [300], 1), a.Values[..(11 * 32)], 11)["out_sample"];
        var unet14 = RunUNet(Save(UNetModel.Build(options), dir, "unet"), sample, [1, 4, 8, 8], r => r.Int64("timestep", [300], 1), a.Values[..(11 * 32)], 11)["out_sample"];
        Assert.InRange(Tensor.RmsDifference(unet17, unet14), 0, 1e-5);
    }

    [Fact]
    public void Float16_variant_computes_the_same_networks_in_half_precision()
    {
        using var dir = new TempFolder("fp16");
        var options = new TinyZooOptions { Float16 = true };
        var context = TestData.Normal(77 * 32, 9);
        var sample = TestData.Normal(4 * 8 * 8, 10);
        var full = RunUNet(zoo.Model("unet"), sample, [1, 4, 8, 8], r => r.Int64("timestep", [600], 1), context, 77)["out_sample"];
        var half = RunUNet(Save(UNetModel.Build(options), dir, "unet"), sample, [1, 4, 8, 8], r => r.Int64("timestep", [600], 1), context, 77)["out_sample"];
        Assert.Equal(OrtDiffusion.Runtime.TensorElementType.Float16, half.Type);
        Assert.InRange(Tensor.RmsDifference(full, half), 0, 0.01);

        var latent = TestData.Normal(4 * 6 * 6, 11);
        using var decoder32 = new ModelRunner(zoo.Model("vae_decoder"));
        using var decoder16 = new ModelRunner(Save(VaeModels.BuildDecoder(options), dir, "decoder"));
        var image32 = decoder32.Float("latent_sample", latent, 1, 4, 6, 6).Run()["sample"];
        var image16 = decoder16.Half("latent_sample", latent, 1, 4, 6, 6).Run()["sample"];
        Assert.InRange(Tensor.RmsDifference(image32, image16), 0, 0.01);

        using var text32 = new ModelRunner(zoo.Model("text_encoder"));
        using var text16 = new ModelRunner(Save(TextEncoderModel.Build(options, TinyClipVocabulary.Default.Size), dir, "text"));
        var ids = Ids(1, 77);
        var states32 = text32.Ids("input_ids", ids, 1, 77).Run()["last_hidden_state"];
        var states16 = text16.Ids("input_ids", ids, 1, 77).Run()["last_hidden_state"];
        Assert.InRange(Tensor.RmsDifference(states32, states16), 0, 0.01);
    }

    [Theory]
    [InlineData(1, 8, 8)]
    [InlineData(2, 6, 10)]
    public void Vae_decodes_eight_times_larger_and_encodes_back_to_latent_size(int batch, int height, int width)
    {
        using var decoder = new ModelRunner(zoo.Model("vae_decoder"));
        var image = decoder.Float("latent_sample", TestData.Normal(batch * 4 * height * width, 12).Select(v => v / 0.18215f * 0.8f).ToArray(), batch, 4, height, width).Run()["sample"];
        Assert.Equal([batch, 3L, 8 * height, 8 * width], image.Shape);
        Assert.True(image.AllFinite());
        Assert.InRange(image.Std(), 0.2, 2); // an untrained decoder's pixels, roughly in [-1, 1]

        using var encoder = new ModelRunner(zoo.Model("vae_encoder"));
        var moments = encoder.Float("sample", image.Values, image.Shape).Run()["latent_parameters"];
        Assert.Equal([batch, 8L, height, width], moments.Shape);
        Assert.True(moments.AllFinite());
    }

    /// <summary>
    /// Fifty DDIM steps with classifier-free guidance 7.5 on SD v1.5's schedule (scaled-linear betas 0.00085 →
    /// 0.012, 1000 steps, "leading" spacing with offset 1), written out here: the latents stay finite and of
    /// about unit spread, as with a trained UNet, instead of drifting to large values.
    /// </summary>
    [Fact]
    public void Fifty_guided_ddim_steps_keep_latents_of_unit_scale()
    {
        var alphasCumprod = new double[1000];
        var product = 1.0;
        for (var i = 0; i < 1000; i++)
        {
            var beta = Math.Pow(Math.Sqrt(0.00085) + ((Math.Sqrt(0.012) - Math.Sqrt(0.00085)) * i / 999), 2);
            product *= 1 - beta;
            alphasCumprod[i] = product;
        }

        using var text = new ModelRunner(zoo.Model("text_encoder"));
        var uncond = Ids(1, 77, content: 0);
        var cond = Ids(1, 77, content: 5);
        var context = text.Ids("input_ids", [.. uncond, .. cond], 2, 77).Run()["last_hidden_state"].Values;

        using var unet = new ModelRunner(zoo.Model("unet"));
        const int n = 4 * 8 * 8;
        var x = TestData.Normal(n, 13);
        var largest = 0.0;
        for (var step = 0; step < 50; step++)
        {
            var t = 981 - (20 * step);
            var output = unet.Float("sample", [.. x, .. x], 2, 4, 8, 8).Int64("timestep", [t, t], 2).Float("encoder_hidden_states", context, 2, 77, 32).Run()["out_sample"].Values;
            var alpha = alphasCumprod[t];
            var alphaPrevious = t - 20 >= 0 ? alphasCumprod[t - 20] : alphasCumprod[0];
            for (var i = 0; i < n; i++)
            {
                var eps = output[i] + (7.5 * (output[n + i] - output[i]));
                var x0 = (x[i] - (Math.Sqrt(1 - alpha) * eps)) / Math.Sqrt(alpha);
                x[i] = (float)((Math.Sqrt(alphaPrevious) * x0) + (Math.Sqrt(1 - alphaPrevious) * eps));
                largest = Math.Max(largest, Math.Abs(eps));
            }
        }

        var final = new Tensor(x, [1, 4, 8, 8], OrtDiffusion.Runtime.TensorElementType.Float);
        Assert.True(final.AllFinite());
        Assert.InRange(final.Std(), 0.3, 4);
        Assert.InRange(largest, 1, 20);
    }
}
