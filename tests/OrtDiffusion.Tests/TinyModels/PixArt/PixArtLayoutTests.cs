using System.Security.Cryptography;
using System.Text.Json;
using OrtDiffusion.Onnx;
using OrtDiffusion.Schedulers;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.TinyModels.PixArt;

/// <summary>The PixArt-α folder: files, model index, the real scheduler config, tokenizer and component configs.</summary>
[Collection(PixArtZooCollection.Name)]
public sealed class PixArtLayoutTests(PixArtZooFixture zoo)
{
    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    private static string[] Files(string folder) =>
        [.. Directory.GetFiles(folder, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(folder, f).Replace('\\', '/')).Order(StringComparer.Ordinal)];

    [Fact]
    public void Folder_has_the_diffusers_pixart_layout_with_onnx_components()
    {
        string[] expected =
        [
            "model_index.json", "scheduler/scheduler_config.json",
            "tokenizer/spiece.model", "tokenizer/special_tokens_map.json", "tokenizer/tokenizer_config.json",
            "text_encoder/model.onnx", "text_encoder/config.json",
            "transformer/model.onnx", "transformer/model.onnx_data", "transformer/config.json",
            "vae_decoder/model.onnx", "vae_decoder/config.json",
            "tinyzoo.json",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), Files(zoo.Default));
        Assert.Equal(["model.onnx_data"], OnnxModel.Load(zoo.Model("transformer")).ExternalDataFiles().Select(Path.GetFileName));

        // The variant keeps the transformer's weights inside model.onnx.
        Assert.DoesNotContain("transformer/model.onnx_data", Files(zoo.Conditioned));
        Assert.Empty(Directory.GetDirectories(zoo.Root, ".*")); // no staging leftovers
    }

    [Fact]
    public void Model_index_names_the_pixart_pipeline_and_its_components()
    {
        var index = Json(Path.Combine(zoo.Default, "model_index.json"));
        Assert.Equal("PixArtAlphaPipeline", index.GetProperty("_class_name").GetString());
        Assert.Equal(["diffusers", "DPMSolverMultistepScheduler"], index.GetProperty("scheduler").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["transformers", "T5Tokenizer"], index.GetProperty("tokenizer").EnumerateArray().Select(e => e.GetString()));
        foreach (var component in new[] { "text_encoder", "transformer", "vae_decoder" })
        {
            Assert.Equal(["diffusers", "OnnxRuntimeModel"], index.GetProperty(component).EnumerateArray().Select(e => e.GetString()));
            Assert.True(File.Exists(Path.Combine(zoo.Default, component, "model.onnx")), component);
        }
    }

    [Fact]
    public void Scheduler_config_is_pixart_alphas_dpm_solver_file_read_by_the_library()
    {
        // PixArt-alpha/PixArt-XL-2-512x512 scheduler/scheduler_config.json, as diffusers writes it (the same keys and
        // values as tests/.../Fixtures/schedulers/pixart_scheduler_config.json), including Python's bare -Infinity.
        var path = Path.Combine(zoo.Default, "scheduler", "scheduler_config.json");
        Assert.Contains("\"lambda_min_clipped\": -Infinity", File.ReadAllText(path));
        static Dictionary<string, string> Entries(string file) =>
            JsonDocument.Parse(File.ReadAllText(file).Replace("-Infinity", "\"-Infinity\"", StringComparison.Ordinal)).RootElement
                .EnumerateObject().ToDictionary(
                    p => p.Name,
                    p => p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble().ToString("R", System.Globalization.CultureInfo.InvariantCulture) : p.Value.GetRawText(),
                    StringComparer.Ordinal);
        Assert.Equal(Entries(Path.Combine(AppContext.BaseDirectory, "Fixtures", "schedulers", "pixart_scheduler_config.json")), Entries(path));

        var config = SchedulerConfig.Load(path);
        Assert.Equal("DPMSolverMultistepScheduler", config.ClassName);
        Assert.Equal((0.0001, 0.02, BetaSchedule.Linear, 1000), (config.BetaStart, config.BetaEnd, config.BetaSchedule, config.NumTrainTimesteps));
        Assert.Equal((2, DpmAlgorithmType.DpmSolverPlusPlus, DpmSolverType.Midpoint, true), (config.SolverOrder, config.AlgorithmType, config.SolverType, config.LowerOrderFinal));
        Assert.Equal((PredictionType.Epsilon, TimestepSpacing.Linspace, 0), (config.PredictionType, config.TimestepSpacing, config.StepsOffset));
        Assert.Equal(double.NegativeInfinity, config.LambdaMinClipped);

        var scheduler = SchedulerFactory.Create(config);
        scheduler.SetTimesteps(20);
        Assert.Equal(999f, scheduler.Timesteps[0]);
        Assert.Equal(50f, scheduler.Timesteps[^1]);
    }

    [Fact]
    public void Tokenizer_files_are_t5s_with_pad_eos_unk_and_sentinels()
    {
        var folder = Path.Combine(zoo.Default, "tokenizer");
        var config = Json(Path.Combine(folder, "tokenizer_config.json"));
        Assert.Equal("T5Tokenizer", config.GetProperty("tokenizer_class").GetString());
        Assert.Equal("</s>", config.GetProperty("eos_token").GetString());
        Assert.Equal("<pad>", config.GetProperty("pad_token").GetString());
        Assert.Equal("<unk>", config.GetProperty("unk_token").GetString());
        var extra = config.GetProperty("extra_ids").GetInt32();
        Assert.Equal(Enumerable.Range(0, extra).Select(i => $"<extra_id_{i}>"), config.GetProperty("additional_special_tokens").EnumerateArray().Select(e => e.GetString()));
        var map = Json(Path.Combine(folder, "special_tokens_map.json"));
        Assert.Equal("</s>", map.GetProperty("eos_token").GetString());
        Assert.Equal(extra, map.GetProperty("additional_special_tokens").GetArrayLength());
    }

    [Fact]
    public void Component_configs_agree_with_the_models_they_describe()
    {
        var text = Json(Path.Combine(zoo.Default, "text_encoder", "config.json"));
        var encoder = OnnxModel.Load(zoo.Model("text_encoder"));
        var table = encoder.FindInitializer("shared.weight");
        Assert.Equal(text.GetProperty("vocab_size").GetInt64(), table.Dims[0]);
        Assert.Equal(text.GetProperty("d_model").GetInt64(), table.Dims[1]);
        Assert.Equal("gated-gelu", text.GetProperty("feed_forward_proj").GetString());
        Assert.Equal(text.GetProperty("relative_attention_num_buckets").GetInt64(), encoder.FindInitializer("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight").Dims[0]);
        Assert.Equal(text.GetProperty("num_heads").GetInt64(), encoder.FindInitializer("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight").Dims[1]);

        var dit = Json(Path.Combine(zoo.Default, "transformer", "config.json"));
        var transformer = OnnxModel.Load(zoo.Model("transformer"));
        var width = dit.GetProperty("num_attention_heads").GetInt64() * dit.GetProperty("attention_head_dim").GetInt64();
        Assert.Equal([width, 4L, 2, 2], transformer.FindInitializer("pos_embed.proj.weight").Dims);
        Assert.Equal([text.GetProperty("d_model").GetInt64(), width], transformer.FindInitializer("caption_projection.linear_1.weight.T").Dims);
        Assert.Equal(dit.GetProperty("caption_channels").GetInt64(), text.GetProperty("d_model").GetInt64());
        Assert.Equal([width, 2L * 2 * 8], transformer.FindInitializer("proj_out.weight.T").Dims);
        Assert.Equal(8, dit.GetProperty("out_channels").GetInt32());
        Assert.Equal("ada_norm_single", dit.GetProperty("norm_type").GetString());
        Assert.Equal(dit.GetProperty("num_layers").GetInt32(), transformer.Graph.Initializer.Count(t => t.Name.EndsWith(".scale_shift_table", StringComparison.Ordinal)));
        Assert.False(dit.GetProperty("use_additional_conditions").GetBoolean());
        Assert.Equal(8, dit.GetProperty("sample_size").GetInt32());

        var conditioned = Json(Path.Combine(zoo.Conditioned, "transformer", "config.json"));
        Assert.True(conditioned.GetProperty("use_additional_conditions").GetBoolean());
        Assert.Equal(16, conditioned.GetProperty("sample_size").GetInt32());
        Assert.Equal(2, conditioned.GetProperty("interpolation_scale").GetInt32());

        var vae = Json(Path.Combine(zoo.Default, "vae_decoder", "config.json"));
        Assert.Equal(0.18215, vae.GetProperty("scaling_factor").GetDouble());
        Assert.Equal(4, vae.GetProperty("latent_channels").GetInt32());
    }

    [Fact]
    public void Vae_decoder_is_the_stable_diffusion_zoos_decoder_byte_for_byte()
    {
        using var sd = new TempFolder("pixart-vae");
        TinyZoo.WriteStableDiffusion(sd.Path, new TinyZooOptions { IncludeVaeEncoder = false });
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(Path.Combine(sd.Path, "vae_decoder", "model.onnx"))), SHA256.HashData(File.ReadAllBytes(zoo.Model("vae_decoder"))));
    }

    [Fact]
    public void Whole_zoo_includes_the_pixart_folder_with_the_zoo_seed_and_opset()
    {
        using var root = new TempFolder("zoo-pixart");
        var layout = TinyZoo.WriteAll(root.Path, new TinyZooOptions { Seed = 3, Opset = 14 });
        Assert.Equal(Path.Combine(layout.Root, "pixart"), layout.PixArt);
        var transformer = OnnxModel.Load(Path.Combine(layout.PixArt, "transformer", "model.onnx"));
        Assert.Equal(14, transformer.OpsetVersion());
        var own = PixArtTransformerModelFor(new PixArtZooOptions { Seed = 3, Opset = 14 });
        Assert.Equal(own.ReadInitializerAsFloat("adaln_single.linear.weight"), transformer.ReadInitializerAsFloat("adaln_single.linear.weight"));
    }

    private static OnnxModel PixArtTransformerModelFor(PixArtZooOptions options) =>
        OrtDiffusion.TinyModels.PixArt.PixArtTransformerModel.Build(options);
}
