using OrtDiffusion.Onnx;
using OrtDiffusion.TinyModels.Models;
using OrtDiffusion.TinyModels.Tokenizer;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Layout;

/// <summary>Writes the Stable Diffusion v1.5 folder in the layout Hugging Face Optimum's ONNX export writes.</summary>
internal static class StableDiffusionLayout
{
    /// <summary>The diffusers version the config files claim (the keys written are those this version writes).</summary>
    private const string DiffusersVersion = "0.21.4";

    public static void Write(string folder, TinyZooOptions options, CancellationToken cancellation)
    {
        var vocabulary = TinyClipVocabulary.Default;
        WriteModelIndex(folder, options);
        WriteScheduler(Path.Combine(folder, "scheduler"));
        TokenizerFiles.Write(Path.Combine(folder, "tokenizer"), vocabulary);

        cancellation.ThrowIfCancellationRequested();
        var textEncoder = Path.Combine(folder, "text_encoder");
        Directory.CreateDirectory(textEncoder);
        TextEncoderModel.Build(options, vocabulary.Size).Save(Path.Combine(textEncoder, "model.onnx"));
        WriteTextEncoderConfig(textEncoder, vocabulary.Size);

        cancellation.ThrowIfCancellationRequested();
        var unet = Path.Combine(folder, "unet");
        Directory.CreateDirectory(unet);
        var unetModel = UNetModel.Build(options);
        if (options.UNetExternalData)
        {
            unetModel.SaveWithExternalData(Path.Combine(unet, "model.onnx"), "model.onnx_data");
        }
        else
        {
            unetModel.Save(Path.Combine(unet, "model.onnx"));
        }

        WriteUNetConfig(unet);

        cancellation.ThrowIfCancellationRequested();
        var decoder = Path.Combine(folder, "vae_decoder");
        Directory.CreateDirectory(decoder);
        VaeModels.BuildDecoder(options).Save(Path.Combine(decoder, "model.onnx"));
        WriteVaeConfig(decoder);

        if (options.IncludeVaeEncoder)
        {
            cancellation.ThrowIfCancellationRequested();
            var encoder = Path.Combine(folder, "vae_encoder");
            Directory.CreateDirectory(encoder);
            VaeModels.BuildEncoder(options).Save(Path.Combine(encoder, "model.onnx"));
            WriteVaeConfig(encoder);
        }
    }

    private static void WriteModelIndex(string folder, TinyZooOptions options) =>
        JsonFile.WriteObject(Path.Combine(folder, "model_index.json"), w =>
        {
            w.WriteString("_class_name", "OnnxStableDiffusionPipeline");
            w.WriteString("_diffusers_version", DiffusersVersion);
            w.WriteComponent("feature_extractor", null, null);
            w.WriteBoolean("requires_safety_checker", false);
            w.WriteComponent("safety_checker", null, null);
            w.WriteComponent("scheduler", "diffusers", "PNDMScheduler");
            w.WriteComponent("text_encoder", "diffusers", "OnnxRuntimeModel");
            w.WriteComponent("tokenizer", "transformers", "CLIPTokenizer");
            w.WriteComponent("unet", "diffusers", "OnnxRuntimeModel");
            w.WriteComponent("vae_decoder", "diffusers", "OnnxRuntimeModel");
            if (options.IncludeVaeEncoder)
            {
                w.WriteComponent("vae_encoder", "diffusers", "OnnxRuntimeModel");
            }
        });

    /// <summary>Stable Diffusion v1.5's scheduler config, value for value.</summary>
    private static void WriteScheduler(string folder)
    {
        Directory.CreateDirectory(folder);
        JsonFile.WriteObject(Path.Combine(folder, "scheduler_config.json"), w =>
        {
            w.WriteString("_class_name", "PNDMScheduler");
            w.WriteString("_diffusers_version", DiffusersVersion);
            w.WriteNumber("beta_end", 0.012);
            w.WriteString("beta_schedule", "scaled_linear");
            w.WriteNumber("beta_start", 0.00085);
            w.WriteBoolean("clip_sample", false);
            w.WriteNumber("num_train_timesteps", 1000);
            w.WriteString("prediction_type", "epsilon");
            w.WriteBoolean("set_alpha_to_one", false);
            w.WriteBoolean("skip_prk_steps", true);
            w.WriteNumber("steps_offset", 1);
            w.WriteString("timestep_spacing", "leading");
            w.WriteNull("trained_betas");
        });
    }

    private static void WriteTextEncoderConfig(string folder, int vocabSize) =>
        JsonFile.WriteObject(Path.Combine(folder, "config.json"), w =>
        {
            w.WriteStartArray("architectures");
            w.WriteStringValue("CLIPTextModel");
            w.WriteEndArray();
            w.WriteNumber("bos_token_id", vocabSize - 2);
            w.WriteNumber("eos_token_id", vocabSize - 1);
            w.WriteString("hidden_act", "quick_gelu");
            w.WriteNumber("hidden_size", TextWidth);
            w.WriteNumber("intermediate_size", 4 * TextWidth);
            w.WriteNumber("layer_norm_eps", 1e-5);
            w.WriteNumber("max_position_embeddings", MaxTextLength);
            w.WriteString("model_type", "clip_text_model");
            w.WriteNumber("num_attention_heads", TextHeads);
            w.WriteNumber("num_hidden_layers", TextLayers);
            w.WriteNumber("pad_token_id", 1);
            w.WriteNumber("projection_dim", ProjectionWidth);
            w.WriteNumber("vocab_size", vocabSize);
        });

    private static void WriteUNetConfig(string folder) =>
        JsonFile.WriteObject(Path.Combine(folder, "config.json"), w =>
        {
            w.WriteString("_class_name", "UNet2DConditionModel");
            w.WriteString("_diffusers_version", DiffusersVersion);
            w.WriteNumber("attention_head_dim", UNetHeads);
            w.WriteNumbers("block_out_channels", UNetChannels.Select(c => (double)c));
            w.WriteNumber("cross_attention_dim", TextWidth);
            w.WriteStartArray("down_block_types");
            w.WriteStringValue("CrossAttnDownBlock2D");
            w.WriteStringValue("DownBlock2D");
            w.WriteEndArray();
            w.WriteBoolean("flip_sin_to_cos", true);
            w.WriteNumber("freq_shift", 0);
            w.WriteNumber("in_channels", LatentChannels);
            w.WriteNumber("layers_per_block", UNetLayersPerBlock);
            w.WriteNumber("norm_num_groups", UNetGroups);
            w.WriteNumber("out_channels", LatentChannels);
            w.WriteNumber("sample_size", 8);
            w.WriteStartArray("up_block_types");
            w.WriteStringValue("UpBlock2D");
            w.WriteStringValue("CrossAttnUpBlock2D");
            w.WriteEndArray();
        });

    private static void WriteVaeConfig(string folder) =>
        JsonFile.WriteObject(Path.Combine(folder, "config.json"), w =>
        {
            w.WriteString("_class_name", "AutoencoderKL");
            w.WriteString("_diffusers_version", DiffusersVersion);
            w.WriteNumbers("block_out_channels", VaeChannels.Select(c => (double)c));
            w.WriteNumber("in_channels", 3);
            w.WriteNumber("latent_channels", LatentChannels);
            w.WriteNumber("layers_per_block", VaeLayersPerBlock);
            w.WriteNumber("norm_num_groups", VaeGroups);
            w.WriteNumber("out_channels", 3);
            w.WriteNumber("sample_size", 64);
            w.WriteNumber("scaling_factor", VaeScalingFactor);
        });
}
