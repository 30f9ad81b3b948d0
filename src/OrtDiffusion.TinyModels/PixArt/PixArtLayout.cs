using System.Globalization;
using System.Text.Json;
using OrtDiffusion.TinyModels.Layout;
using OrtDiffusion.TinyModels.Models;
using static OrtDiffusion.TinyModels.PixArt.PixArtArchitecture;

namespace OrtDiffusion.TinyModels.PixArt;

/// <summary>
/// Writes the PixArt-α folder: diffusers' PixArt-XL-2 layout with the networks as ONNX models, the way Optimum
/// lays out Stable Diffusion (<c>text_encoder/</c>, <c>transformer/</c>, <c>vae_decoder/</c> each with
/// <c>model.onnx</c> and <c>config.json</c>).
/// </summary>
internal static class PixArtLayout
{
    /// <summary>The diffusers version PixArt-α's published config files carry.</summary>
    private const string DiffusersVersion = "0.22.0.dev0";

    public static void Write(string folder, PixArtZooOptions options, CancellationToken cancellation)
    {
        var vocabulary = TinyUnigramVocabulary.Default;
        var rows = VocabularyRows(vocabulary);
        WriteModelIndex(folder);
        WriteScheduler(Path.Combine(folder, "scheduler"));
        T5TokenizerFiles.Write(Path.Combine(folder, "tokenizer"), vocabulary);

        cancellation.ThrowIfCancellationRequested();
        var textEncoder = Path.Combine(folder, "text_encoder");
        Directory.CreateDirectory(textEncoder);
        T5EncoderModel.Build(options, rows).Save(Path.Combine(textEncoder, "model.onnx"));
        WriteTextEncoderConfig(textEncoder, rows);

        cancellation.ThrowIfCancellationRequested();
        var transformer = Path.Combine(folder, "transformer");
        Directory.CreateDirectory(transformer);
        var model = PixArtTransformerModel.Build(options);
        if (options.TransformerExternalData)
        {
            model.SaveWithExternalData(Path.Combine(transformer, "model.onnx"), "model.onnx_data");
        }
        else
        {
            model.Save(Path.Combine(transformer, "model.onnx"));
        }

        WriteTransformerConfig(transformer, options);

        cancellation.ThrowIfCancellationRequested();
        var decoder = Path.Combine(folder, "vae_decoder");
        Directory.CreateDirectory(decoder);
        VaeModels.BuildDecoder(options.VaeOptions).Save(Path.Combine(decoder, "model.onnx"));
        WriteVaeConfig(decoder);
    }

    /// <summary>Rows of the T5 embedding table: the SentencePiece pieces plus the sentinel ids, rounded up as T5 does.</summary>
    public static int VocabularyRows(TinyUnigramVocabulary vocabulary)
    {
        var used = vocabulary.Count + ExtraIds;
        return (used + EmbeddingRowMultiple - 1) / EmbeddingRowMultiple * EmbeddingRowMultiple;
    }

    private static void WriteModelIndex(string folder) =>
        JsonFile.WriteObject(Path.Combine(folder, "model_index.json"), w =>
        {
            w.WriteString("_class_name", "PixArtAlphaPipeline");
            w.WriteString("_diffusers_version", DiffusersVersion);
            w.WriteComponent("scheduler", "diffusers", "DPMSolverMultistepScheduler");
            w.WriteComponent("text_encoder", "diffusers", "OnnxRuntimeModel");
            w.WriteComponent("tokenizer", "transformers", "T5Tokenizer");
            w.WriteComponent("transformer", "diffusers", "OnnxRuntimeModel");
            w.WriteComponent("vae_decoder", "diffusers", "OnnxRuntimeModel");
        });

    /// <summary>
    /// PixArt-XL-2's <c>scheduler/scheduler_config.json</c>, value for value — including <c>lambda_min_clipped</c>
    /// as Python's bare <c>-Infinity</c>, which diffusers writes although it is not strict JSON.
    /// </summary>
    private static void WriteScheduler(string folder)
    {
        Directory.CreateDirectory(folder);
        JsonFile.WriteObject(Path.Combine(folder, "scheduler_config.json"), w =>
        {
            w.WriteString("_class_name", "DPMSolverMultistepScheduler");
            w.WriteString("_diffusers_version", DiffusersVersion);
            w.WriteString("algorithm_type", "dpmsolver++");
            w.WriteNumber("beta_end", 0.02);
            w.WriteString("beta_schedule", "linear");
            w.WriteNumber("beta_start", 0.0001);
            w.WriteNumber("dynamic_thresholding_ratio", 0.995);
            w.WriteBoolean("euler_at_final", false);
            w.WritePropertyName("lambda_min_clipped");
            w.WriteRawValue("-Infinity", skipInputValidation: true);
            w.WriteBoolean("lower_order_final", true);
            w.WriteNumber("num_train_timesteps", 1000);
            w.WriteString("prediction_type", "epsilon");
            WriteFloat(w, "sample_max_value", 1.0);
            w.WriteNumber("solver_order", 2);
            w.WriteString("solver_type", "midpoint");
            w.WriteNumber("steps_offset", 0);
            w.WriteBoolean("thresholding", false);
            w.WriteString("timestep_spacing", "linspace");
            w.WriteNull("trained_betas");
            w.WriteBoolean("use_karras_sigmas", false);
            w.WriteBoolean("use_lu_lambdas", false);
            w.WriteNull("variance_type");
        });
    }

    /// <summary>The keys of T5-v1.1-XXL's <c>config.json</c> (as PixArt ships it) at the zoo's sizes.</summary>
    private static void WriteTextEncoderConfig(string folder, int vocabularyRows) =>
        JsonFile.WriteObject(Path.Combine(folder, "config.json"), w =>
        {
            w.WriteStartArray("architectures");
            w.WriteStringValue("T5EncoderModel");
            w.WriteEndArray();
            w.WriteNumber("d_ff", TextFeedForward);
            w.WriteNumber("d_kv", TextHeadWidth);
            w.WriteNumber("d_model", TextWidth);
            w.WriteNumber("decoder_start_token_id", 0);
            w.WriteString("dense_act_fn", "gelu_new");
            w.WriteNumber("dropout_rate", 0.1);
            w.WriteNumber("eos_token_id", 1);
            w.WriteString("feed_forward_proj", "gated-gelu");
            WriteFloat(w, "initializer_factor", 1.0);
            w.WriteBoolean("is_encoder_decoder", true);
            w.WriteBoolean("is_gated_act", true);
            w.WriteNumber("layer_norm_epsilon", TextNormEpsilon);
            w.WriteString("model_type", "t5");
            w.WriteNumber("num_heads", TextHeads);
            w.WriteNumber("num_layers", TextLayers);
            w.WriteNumber("pad_token_id", 0);
            w.WriteNumber("relative_attention_max_distance", RelativeMaxDistance);
            w.WriteNumber("relative_attention_num_buckets", RelativeBuckets);
            w.WriteBoolean("tie_word_embeddings", false);
            w.WriteString("torch_dtype", "float32");
            w.WriteNumber("vocab_size", vocabularyRows);
        });

    /// <summary>PixArt-XL-2's <c>transformer/config.json</c> keys at the zoo's sizes, with the derived settings written out.</summary>
    private static void WriteTransformerConfig(string folder, PixArtZooOptions options) =>
        JsonFile.WriteObject(Path.Combine(folder, "config.json"), w =>
        {
            w.WriteString("_class_name", "PixArtTransformer2DModel");
            w.WriteString("_diffusers_version", DiffusersVersion);
            w.WriteString("activation_fn", "gelu-approximate");
            w.WriteBoolean("attention_bias", true);
            w.WriteNumber("attention_head_dim", HeadWidth);
            w.WriteString("attention_type", "default");
            w.WriteNumber("caption_channels", TextWidth);
            w.WriteNumber("cross_attention_dim", Width);
            WriteFloat(w, "dropout", 0.0);
            w.WriteNumber("in_channels", LatentChannels);
            w.WriteNumber("interpolation_scale", InterpolationScaleFor(options.AdditionalConditions));
            w.WriteBoolean("norm_elementwise_affine", false);
            w.WriteNumber("norm_eps", NormEpsilon);
            w.WriteString("norm_type", "ada_norm_single");
            w.WriteNumber("num_attention_heads", Heads);
            w.WriteNumber("num_embeds_ada_norm", 1000);
            w.WriteNumber("num_layers", Layers);
            w.WriteBoolean("only_cross_attention", false);
            w.WriteNumber("out_channels", OutChannels);
            w.WriteNumber("patch_size", Patch);
            w.WriteNumber("sample_size", SampleSizeFor(options.AdditionalConditions));
            w.WriteBoolean("upcast_attention", false);
            w.WriteBoolean("use_additional_conditions", options.AdditionalConditions);
        });

    /// <summary>A float the way Python's json writes it: integral values keep their ".0" (<c>1.0</c>, not <c>1</c>).</summary>
    private static void WriteFloat(Utf8JsonWriter w, string name, double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        w.WritePropertyName(name);
        w.WriteRawValue(text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text : text + ".0");
    }

    private static void WriteVaeConfig(string folder) =>
        JsonFile.WriteObject(Path.Combine(folder, "config.json"), w =>
        {
            w.WriteString("_class_name", "AutoencoderKL");
            w.WriteString("_diffusers_version", DiffusersVersion);
            w.WriteNumbers("block_out_channels", TinyArchitecture.VaeChannels.Select(c => (double)c));
            w.WriteNumber("in_channels", 3);
            w.WriteNumber("latent_channels", TinyArchitecture.LatentChannels);
            w.WriteNumber("layers_per_block", TinyArchitecture.VaeLayersPerBlock);
            w.WriteNumber("norm_num_groups", TinyArchitecture.VaeGroups);
            w.WriteNumber("out_channels", 3);
            w.WriteNumber("sample_size", SampleSize * TinyArchitecture.VaeScaleFactor);
            w.WriteNumber("scaling_factor", TinyArchitecture.VaeScalingFactor);
        });
}
