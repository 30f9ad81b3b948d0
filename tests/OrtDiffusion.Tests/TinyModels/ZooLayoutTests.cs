using System.Text.Json;
using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.IO;
using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>The folders the zoo writes: Optimum's SD layout, the reward folders, and the up-to-date stamp.</summary>
[Collection(ZooCollection.Name)]
public sealed class ZooLayoutTests(ZooFixture zoo)
{
    private static JsonElement Json(string path) => JsonDocument.Parse(File.ReadAllText(path)).RootElement;

    [Fact]
    public void Stable_diffusion_folder_has_the_optimum_layout()
    {
        string[] expected =
        [
            "model_index.json", "scheduler/scheduler_config.json",
            "tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json",
            "text_encoder/model.onnx", "text_encoder/config.json",
            "unet/model.onnx", "unet/model.onnx_data", "unet/config.json",
            "vae_decoder/model.onnx", "vae_decoder/config.json",
            "vae_encoder/model.onnx", "vae_encoder/config.json",
            "tinyzoo.json",
        ];
        // Gradient tests sharing this zoo cache VJP graphs beside the models (model.vjp.*.onnx): not part of the layout.
        var files = Directory.GetFiles(zoo.StableDiffusion, "*", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(zoo.StableDiffusion, f).Replace('\\', '/'))
            .Where(f => !Path.GetFileName(f).Contains(".vjp.", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal);
        Assert.Equal(expected.Order(StringComparer.Ordinal), files);
        Assert.Empty(Directory.GetDirectories(Path.GetDirectoryName(zoo.StableDiffusion)!, ".*")); // no staging leftovers
    }

    [Fact]
    public void Model_index_names_the_onnx_pipeline_and_its_components()
    {
        var index = Json(Path.Combine(zoo.StableDiffusion, "model_index.json"));
        Assert.Equal("OnnxStableDiffusionPipeline", index.GetProperty("_class_name").GetString());
        Assert.False(string.IsNullOrEmpty(index.GetProperty("_diffusers_version").GetString()));
        Assert.Equal(["diffusers", "PNDMScheduler"], index.GetProperty("scheduler").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["transformers", "CLIPTokenizer"], index.GetProperty("tokenizer").EnumerateArray().Select(e => e.GetString()));
        foreach (var component in new[] { "text_encoder", "unet", "vae_decoder", "vae_encoder" })
        {
            Assert.Equal(["diffusers", "OnnxRuntimeModel"], index.GetProperty(component).EnumerateArray().Select(e => e.GetString()));
        }
    }

    [Fact]
    public void Scheduler_config_holds_stable_diffusion_v15_values()
    {
        // Values of runwayml/stable-diffusion-v1-5 scheduler/scheduler_config.json.
        var s = Json(Path.Combine(zoo.StableDiffusion, "scheduler", "scheduler_config.json"));
        Assert.Equal("PNDMScheduler", s.GetProperty("_class_name").GetString());
        Assert.Equal(0.00085, s.GetProperty("beta_start").GetDouble());
        Assert.Equal(0.012, s.GetProperty("beta_end").GetDouble());
        Assert.Equal("scaled_linear", s.GetProperty("beta_schedule").GetString());
        Assert.Equal(1000, s.GetProperty("num_train_timesteps").GetInt32());
        Assert.False(s.GetProperty("set_alpha_to_one").GetBoolean());
        Assert.True(s.GetProperty("skip_prk_steps").GetBoolean());
        Assert.Equal(1, s.GetProperty("steps_offset").GetInt32());
        Assert.False(s.GetProperty("clip_sample").GetBoolean());
        Assert.Equal(JsonValueKind.Null, s.GetProperty("trained_betas").ValueKind);
        Assert.Equal("epsilon", s.GetProperty("prediction_type").GetString());
    }

    [Fact]
    public void Vae_config_gives_the_sd_scaling_factor()
    {
        var config = Json(Path.Combine(zoo.StableDiffusion, "vae_decoder", "config.json"));
        Assert.Equal(0.18215, config.GetProperty("scaling_factor").GetDouble());
        Assert.Equal(4, config.GetProperty("latent_channels").GetInt32());
    }

    [Fact]
    public void Unet_weights_live_in_model_onnx_data_and_nowhere_else()
    {
        var unet = OnnxModel.Load(zoo.Model("unet"));
        Assert.Equal(["model.onnx_data"], unet.ExternalDataFiles());
        var external = unet.Graph.Initializer.Where(t => ExternalDataReference.From(t) is not null).ToList();
        var inline = unet.Graph.Initializer.Where(t => ExternalDataReference.From(t) is null).ToList();
        Assert.True(external.Count > 50, $"only {external.Count} external initializers");
        Assert.All(inline, t => Assert.True(t.RawData.Length < 1024, $"{t.Name} ({t.RawData.Length} bytes) stayed inline"));
        Assert.True(new FileInfo(zoo.Model("unet")).Length < new FileInfo(Path.Combine(zoo.StableDiffusion, "unet", "model.onnx_data")).Length);

        // The weights read back through the reference equal the ones built in memory.
        var built = ZooModels.All(TinyZooOptions.Default)["unet"].FindInitializer("conv_out.weight");
        Assert.Equal(TensorProtos.Read<float>(built), unet.ReadInitializerAsFloat("conv_out.weight"));
    }

    [Fact]
    public void Reward_folders_hold_their_manifest_models_and_tokenizer()
    {
        var clip = zoo.Layout.Rewards[RewardKind.Clip];
        Assert.EndsWith(Path.Combine("rewards", "clip"), clip);
        foreach (var file in new[] { "reward.json", "model.onnx", "text_model.onnx", "tokenizer/vocab.json", "tokenizer/merges.txt" })
        {
            Assert.True(File.Exists(Path.Combine(clip, file)), $"{file} is missing in {clip}");
        }

        var aesthetic = zoo.Layout.Rewards[RewardKind.Aesthetic];
        Assert.EndsWith(Path.Combine("rewards", "aesthetic"), aesthetic);
        Assert.True(File.Exists(Path.Combine(aesthetic, "model.onnx")));
        Assert.False(Directory.Exists(Path.Combine(aesthetic, "tokenizer")));

        var manifest = RewardManifest.Load(clip);
        Assert.Equal(RewardKind.Clip, manifest.Kind);
        Assert.Equal("images", manifest.ImageInput);
        Assert.Equal("score", manifest.Output);
        Assert.Equal([new RewardTextInput("text_embeds", RewardTextInputKind.TextEmbeds)], manifest.TextInputs);
        Assert.Equal("text_model.onnx", manifest.TextModel!.Model);
        Assert.Equal(RewardTokenizerKind.ClipBpe, manifest.Tokenizer!.Kind);
        Assert.Equal(77, manifest.Tokenizer.MaxLength);
        Assert.Equal([0.48145466, 0.4578275, 0.40821073], manifest.Preprocessing.Mean);
        Assert.Equal([0.26862954, 0.26130258, 0.27577711], manifest.Preprocessing.Std);
        Assert.True(manifest.Preprocessing.InGraph);

        var aestheticManifest = RewardManifest.Load(aesthetic);
        Assert.Equal(RewardKind.Aesthetic, aestheticManifest.Kind);
        Assert.Empty(aestheticManifest.TextInputs);
        Assert.Null(aestheticManifest.Tokenizer);
        Assert.Null(aestheticManifest.TextModel);
    }

    [Fact]
    public void Reward_json_uses_the_documented_snake_case_keys()
    {
        var json = Json(zoo.Reward(RewardKind.Clip, "reward.json"));
        Assert.Equal(1, json.GetProperty("format_version").GetInt32());
        Assert.Equal("clip", json.GetProperty("kind").GetString());
        Assert.Equal("text_embeds", json.GetProperty("text_inputs")[0].GetProperty("kind").GetString());
        Assert.Equal("clip_bpe", json.GetProperty("tokenizer").GetProperty("kind").GetString());
        Assert.Equal("tokenizer", json.GetProperty("tokenizer").GetProperty("folder").GetString());
        Assert.Equal(32, json.GetProperty("preprocessing").GetProperty("image_size").GetInt32());
        Assert.Equal("bilinear", json.GetProperty("preprocessing").GetProperty("resize").GetString());
    }
}
