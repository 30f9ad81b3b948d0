namespace OrtDiffusion.TinyModels.PixArt;

/// <summary>
/// The sizes of the tiny PixArt-α networks: T5-v1.1's encoder and PixArt's DiT at toy widths. Shared by the
/// builders and the config files written beside the models, so the two never disagree.
/// </summary>
internal static class PixArtArchitecture
{
    // --- T5 encoder (real T5-v1.1-XXL: d_model 4096, d_kv 64, d_ff 10240, 24 layers, 64 heads) ---
    public const int TextWidth = 32;          // d_model = caption_channels
    public const int TextHeads = 4;
    public const int TextHeadWidth = 8;        // d_kv
    public const int TextInner = TextHeads * TextHeadWidth;
    public const int TextFeedForward = 64;     // d_ff
    public const int TextLayers = 2;
    public const int RelativeBuckets = 32;     // relative_attention_num_buckets, as T5
    public const int RelativeMaxDistance = 128; // relative_attention_max_distance, as T5
    public const float TextNormEpsilon = 1e-6f;

    /// <summary>T5 rounds its embedding table up (32 100 tokens, 32 128 rows); the zoo rounds up to a multiple of this.</summary>
    public const int EmbeddingRowMultiple = 16;

    /// <summary>Sentinel tokens (<c>&lt;extra_id_N&gt;</c>) the Hugging Face tokenizer appends after the SentencePiece vocabulary (T5: 100).</summary>
    public const int ExtraIds = 8;

    // --- PixArtTransformer2DModel (real: 28 layers, 16 heads × 72 = 1152, frequency embedding 256) ---
    /// <summary>Hidden width; divisible by 3 because the 1024-px size embedding gives D/3 to each of resolution (×2) and aspect ratio.</summary>
    public const int Width = 48;
    public const int Heads = 3;
    public const int HeadWidth = Width / Heads;
    public const int Layers = 2;
    public const int Patch = 2;
    public const int LatentChannels = 4;
    public const int OutChannels = 8;          // learned sigma: ε then the variance interpolation
    public const int FrequencyChannels = 32;   // Timesteps(num_channels=256) in the real model
    public const int FeedForwardWidth = 4 * Width;
    public const float NormEpsilon = 1e-6f;

    /// <summary>diffusers' bias for masked-out text positions: <c>(1 − mask) · −10000</c>.</summary>
    public const float MaskBias = -10000f;

    /// <summary>Latent side of the 512-px style (64×64 images); the 1024-px style doubles it, as 64 → 128 in the real models.</summary>
    public const int SampleSize = 8;

    public static int SampleSizeFor(bool additionalConditions) => additionalConditions ? 2 * SampleSize : SampleSize;

    /// <summary>diffusers: <c>max(sample_size // 64, 1)</c> for the real models, i.e. 1 at 512 px and 2 at 1024 px.</summary>
    public static int InterpolationScaleFor(bool additionalConditions) => additionalConditions ? 2 : 1;

    /// <summary>PatchEmbed's <c>base_size = sample_size // patch_size</c>.</summary>
    public static int BaseSizeFor(bool additionalConditions) => SampleSizeFor(additionalConditions) / Patch;
}
