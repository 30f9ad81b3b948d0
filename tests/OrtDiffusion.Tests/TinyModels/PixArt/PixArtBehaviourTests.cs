using OrtDiffusion.Onnx;
using OrtDiffusion.Schedulers;
using OrtDiffusion.Text;
using OrtDiffusion.TinyModels;
using OrtDiffusion.TinyModels.PixArt;

namespace OrtDiffusion.Tests.TinyModels.PixArt;

/// <summary>What the PixArt networks must do beyond their contracts: masks, conditioning, option equivalences, sampling.</summary>
[Collection(PixArtZooCollection.Name)]
public sealed class PixArtBehaviourTests(PixArtZooFixture zoo)
{
    private const int Batch = 2;
    private const int Length = 9;

    /// <summary>Row 0 keeps 4 text positions, row 1 keeps 7.</summary>
    private static readonly long[] Mask = [.. Enumerable.Range(0, Length).Select(i => i < 4 ? 1L : 0L), .. Enumerable.Range(0, Length).Select(i => i < 7 ? 1L : 0L)];

    private static readonly float[] Latents = TestData.Normal(Batch * 4 * 8 * 8, 31);

    private Tensor Transform(float[] text, long t = 500, long[]? mask = null, string? path = null)
    {
        using var runner = new ModelRunner(path ?? zoo.Model("transformer"));
        return runner
            .Float("hidden_states", Latents, Batch, 4, 8, 8)
            .Int64("timestep", [t, t], Batch)
            .Float("encoder_hidden_states", text, Batch, Length, 32)
            .Int64("encoder_attention_mask", mask ?? Mask, Batch, Length)
            .Run()["out_sample"];
    }

    private static string Save(OnnxModel model, TempFolder dir, string name)
    {
        var path = dir.File(name + ".onnx");
        model.Save(path);
        return path;
    }

    [Fact]
    public void Transformer_ignores_text_positions_the_key_mask_discards()
    {
        var text = TestData.Normal(Batch * Length * 32, 32);
        var reference = Transform(text);

        // Rewrite every masked-out position (row 0 from 4, row 1 from 7) with other values: the output is unchanged.
        var changed = (float[])text.Clone();
        for (var b = 0; b < Batch; b++)
        {
            for (var s = 0; s < Length; s++)
            {
                if (Mask[(b * Length) + s] == 0)
                {
                    for (var d = 0; d < 32; d++)
                    {
                        changed[(((b * Length) + s) * 32) + d] = 5f * MathF.Sin(d + s);
                    }
                }
            }
        }

        Assert.Equal(reference.Values, Transform(changed).Values);

        // A kept position does change it.
        changed[(2 * 32) + 5] += 1f;
        Assert.InRange(Tensor.RmsDifference(reference, Transform(changed)), 1e-4, 1);

        // And so does unmasking a position.
        var wider = (long[])Mask.Clone();
        wider[5] = 1;
        Assert.InRange(Tensor.RmsDifference(reference, Transform(text, mask: wider)), 1e-4, 1);
    }

    [Fact]
    public void Transformer_output_depends_on_timestep_and_text()
    {
        var text = TestData.Normal(Batch * Length * 32, 33);
        var reference = Transform(text, 500);
        Assert.InRange(Tensor.RmsDifference(reference, Transform(text, 20)), 0.03, 1);
        Assert.InRange(Tensor.RmsDifference(reference, Transform(TestData.Normal(Batch * Length * 32, 34), 500)), 0.005, 1);
    }

    [Fact]
    public void Conditioned_transformer_depends_on_resolution_and_aspect_ratio()
    {
        var path = Path.Combine(zoo.Conditioned, "transformer", "model.onnx");
        Tensor Run(float[] resolution, float[] aspect)
        {
            using var runner = new ModelRunner(path);
            return runner
                .Float("hidden_states", Latents, Batch, 4, 8, 8)
                .Float("timestep", [500f, 500f], Batch)
                .Float("encoder_hidden_states", TestData.Normal(Batch * Length * 32, 35), Batch, Length, 32)
                .Float("encoder_attention_mask", Array.ConvertAll(Mask, m => (float)m), Batch, Length)
                .Float("resolution", resolution, Batch, 2)
                .Float("aspect_ratio", aspect, Batch, 1)
                .Run()["out_sample"];
        }

        var reference = Run([64, 64, 64, 64], [1, 1]);
        Assert.InRange(Tensor.RmsDifference(reference, Run([128, 64, 128, 64], [1, 1])), 1e-3, 1);
        Assert.InRange(Tensor.RmsDifference(reference, Run([64, 64, 64, 64], [2, 2])), 1e-3, 1);
    }

    [Fact]
    public void Text_encoder_states_of_real_tokens_ignore_the_ids_at_masked_padding_positions()
    {
        var tokenizer = T5Tokenizer.FromFolder(zoo.Default);
        var encoded = tokenizer.Encode("a red car parked in front of a building", maxLength: 24);
        var ids = encoded.IdsAsInt64();
        var mask = encoded.AttentionMaskAsInt64();
        using var runner = new ModelRunner(zoo.Model("text_encoder"));
        var reference = runner.Int64("input_ids", ids, 1, 24).Int64("attention_mask", mask, 1, 24).Run()["last_hidden_state"].Values;

        var other = (long[])ids.Clone();
        for (var i = encoded.TokenCount; i < 24; i++)
        {
            other[i] = 40 + i;
        }

        var changed = runner.Int64("input_ids", other, 1, 24).Int64("attention_mask", mask, 1, 24).Run()["last_hidden_state"].Values;
        var real = encoded.TokenCount * 32;
        Assert.Equal(reference[..real], changed[..real]);
        Assert.NotEqual(reference[real..], changed[real..]);
    }

    [Fact]
    public void Text_encoder_sees_relative_positions_near_and_far()
    {
        // Without position information an encoder is permutation-equivariant: a token's state would not depend on
        // where the other tokens stand. Reversing 40 distinct tokens moves them up to 39 apart (the logarithmic buckets).
        using var runner = new ModelRunner(zoo.Model("text_encoder"));
        var ids = Enumerable.Range(0, 40).Select(i => (long)(3 + (7 * i))).ToArray();
        var ones = Enumerable.Repeat(1L, 40).ToArray();
        var forward = runner.Int64("input_ids", ids, 1, 40).Int64("attention_mask", ones, 1, 40).Run()["last_hidden_state"].Values;
        var backward = runner.Int64("input_ids", ids.Reverse().ToArray(), 1, 40).Int64("attention_mask", ones, 1, 40).Run()["last_hidden_state"].Values;
        foreach (var position in new[] { 0, 20, 39 })
        {
            var a = new Tensor(forward[(position * 32)..((position + 1) * 32)], [32], default);
            var b = new Tensor(backward[((39 - position) * 32)..((40 - position) * 32)], [32], default);
            Assert.InRange(Tensor.RmsDifference(a, b), 1e-3, 10);
        }
    }

    [Fact]
    public void Float_timestep_and_mask_and_opset_14_compute_the_same_network()
    {
        using var dir = new TempFolder("pixart-options");
        var text = TestData.Normal(Batch * Length * 32, 36);
        var reference = Transform(text, 741);

        var variant = Save(PixArtTransformerModel.Build(new PixArtZooOptions { TimestepType = ElementType.Float, MaskType = ElementType.Float, Opset = 14 }), dir, "variant");
        using var runner = new ModelRunner(variant);
        var output = runner
            .Float("hidden_states", Latents, Batch, 4, 8, 8)
            .Float("timestep", [741f, 741f], Batch)
            .Float("encoder_hidden_states", text, Batch, Length, 32)
            .Float("encoder_attention_mask", Array.ConvertAll(Mask, m => (float)m), Batch, Length)
            .Run()["out_sample"];
        Assert.InRange(Tensor.RmsDifference(reference, output), 0, 1e-5);

        var text14 = Save(T5EncoderModel.Build(new PixArtZooOptions { Opset = 14 }, PixArtLayout.VocabularyRows(TinyUnigramVocabulary.Default)), dir, "text14");
        var ids = Enumerable.Range(0, 20).Select(i => (long)(3 + i)).ToArray();
        var ones = Enumerable.Repeat(1L, 20).ToArray();
        using var a = new ModelRunner(zoo.Model("text_encoder"));
        using var b = new ModelRunner(text14);
        Assert.Equal(a.Int64("input_ids", ids, 1, 20).Int64("attention_mask", ones, 1, 20).Run()["last_hidden_state"].Values, b.Int64("input_ids", ids, 1, 20).Int64("attention_mask", ones, 1, 20).Run()["last_hidden_state"].Values);
    }

    /// <summary>
    /// PixArt-α's sampling loop on the zoo, with the library's tokenizer and its DPM-Solver++ read from the zoo's
    /// scheduler config: 20 steps, classifier-free guidance 4.5 on ε (channels 0–3 of the 8), then the VAE. The
    /// latents stay finite and of about unit spread, as with a trained model, instead of drifting (a random DiT
    /// without the identity path ends near 140).
    /// </summary>
    [Fact]
    public void Twenty_guided_dpm_solver_steps_keep_latents_of_unit_scale()
    {
        var tokenizer = T5Tokenizer.FromFolder(zoo.Default);
        var negative = tokenizer.Encode("");
        var prompt = tokenizer.Encode("a photo of an astronaut riding a horse on the moon");
        long[] ids = [.. negative.IdsAsInt64(), .. prompt.IdsAsInt64()];
        long[] mask = [.. negative.AttentionMaskAsInt64(), .. prompt.AttentionMaskAsInt64()];
        using var text = new ModelRunner(zoo.Model("text_encoder"));
        var context = text.Int64("input_ids", ids, 2, 120).Int64("attention_mask", mask, 2, 120).Run()["last_hidden_state"].Values;

        var scheduler = SchedulerFactory.Create(SchedulerConfig.Load(Path.Combine(zoo.Default, "scheduler", "scheduler_config.json")));
        scheduler.SetTimesteps(20);
        Assert.Equal(20, scheduler.Timesteps.Count);
        using var transformer = new ModelRunner(zoo.Model("transformer"));
        const int n = 4 * 8 * 8;
        var x = TestData.Normal(n, 13);
        var eps = new float[n];
        var largest = 0.0;
        for (var step = 0; step < scheduler.Timesteps.Count; step++)
        {
            var t = (long)scheduler.Timesteps[step];
            var output = transformer
                .Float("hidden_states", [.. x, .. x], 2, 4, 8, 8)
                .Int64("timestep", [t, t], 2)
                .Float("encoder_hidden_states", context, 2, 120, 32)
                .Int64("encoder_attention_mask", mask, 2, 120)
                .Run()["out_sample"].Values;
            for (var i = 0; i < n; i++)
            {
                var unconditional = output[i];              // batch 0, channels 0–3
                var conditional = output[(8 * 64) + i];     // batch 1, channels 0–3
                eps[i] = unconditional + (4.5f * (conditional - unconditional));
                largest = Math.Max(largest, Math.Abs(eps[i]));
            }

            scheduler.Step(eps, step, x, x, []);
        }

        var latents = new Tensor(x, [1, 4, 8, 8], OrtDiffusion.Runtime.TensorElementType.Float);
        Assert.True(latents.AllFinite());
        Assert.InRange(latents.Std(), 0.3, 3);
        Assert.InRange(largest, 1, 10);

        using var vae = new ModelRunner(zoo.Model("vae_decoder"));
        var image = vae.Float("latent_sample", x.Select(v => v / 0.18215f).ToArray(), 1, 4, 8, 8).Run()["sample"];
        Assert.Equal([1L, 3, 64, 64], image.Shape);
        Assert.True(image.AllFinite());
        Assert.InRange(image.Std(), 0.1, 3);
    }

    [Fact]
    public void Same_options_give_byte_identical_folders_and_another_seed_changes_the_weights_only()
    {
        using var a = new TempFolder("pixart-a");
        using var b = new TempFolder("pixart-b");
        using var c = new TempFolder("pixart-c");
        var options = new PixArtZooOptions { Seed = 7 };
        TinyZoo.WritePixArt(a.Path, options);
        TinyZoo.WritePixArt(b.Path, options);
        TinyZoo.WritePixArt(c.Path, options with { Seed = 8 });
        var first = Hashes(a.Path);
        Assert.Equal(first, Hashes(b.Path));
        Assert.Equal(13, first.Count);

        var other = Hashes(c.Path);
        foreach (var file in new[] { "tokenizer/spiece.model", "tokenizer/tokenizer_config.json", "scheduler/scheduler_config.json", "transformer/config.json", "model_index.json" })
        {
            Assert.Equal(first[file], other[file]);
        }

        foreach (var file in new[] { "transformer/model.onnx_data", "text_encoder/model.onnx", "vae_decoder/model.onnx" })
        {
            Assert.NotEqual(first[file], other[file]);
        }
    }

    [Fact]
    public void An_up_to_date_folder_is_kept_and_a_changed_option_rewrites_it()
    {
        using var root = new TempFolder("pixart-stamp");
        var folder = Path.Combine(root.Path, "pixart");
        TinyZoo.WritePixArt(folder);
        var marker = Path.Combine(folder, "marker.txt");
        File.WriteAllText(marker, "kept while up to date");
        TinyZoo.WritePixArt(folder);
        Assert.True(File.Exists(marker));

        TinyZoo.WritePixArt(folder, new PixArtZooOptions { AdditionalConditions = true });
        Assert.False(File.Exists(marker));
        Assert.Contains(OnnxModel.Load(Path.Combine(folder, "transformer", "model.onnx")).Graph.Input, i => i.Name == "resolution");
        Assert.Equal(["pixart"], Directory.GetFileSystemEntries(root.Path).Select(Path.GetFileName));
    }

    private static Dictionary<string, string> Hashes(string folder) =>
        Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(
            f => Path.GetRelativePath(folder, f).Replace('\\', '/'),
            f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))));
}
