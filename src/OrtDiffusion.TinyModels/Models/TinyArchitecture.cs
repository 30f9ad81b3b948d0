namespace OrtDiffusion.TinyModels.Models;

/// <summary>
/// The sizes of the zoo's networks: the real architectures' structure at toy widths. Shared by the builders
/// and the config files written beside the models, so the two never disagree.
/// </summary>
internal static class TinyArchitecture
{
    /// <summary>Text width = CLIP hidden size = UNet cross-attention width = CLIP projection size.</summary>
    public const int TextWidth = 32;
    public const int TextHeads = 2;
    public const int TextLayers = 2;
    public const int MaxTextLength = 77;

    public const int LatentChannels = 4;
    public const int VaeScaleFactor = 8;
    public const double VaeScalingFactor = 0.18215;

    /// <summary>UNet levels (diffusers <c>block_out_channels</c>): level 0 has cross-attention and a downsample.</summary>
    public static readonly int[] UNetChannels = [32, 64];
    public const int UNetGroups = 8;
    public const int UNetHeads = 2;
    public const int UNetTimeEmbedWidth = 4 * 32;
    public const int UNetLayersPerBlock = 1;

    /// <summary>VAE levels in encoder order (the decoder walks them backwards); three 2× steps.</summary>
    public static readonly int[] VaeChannels = [16, 16, 32, 32];
    public const int VaeGroups = 8;
    public const int VaeLayersPerBlock = 1;

    /// <summary>CLIP image tower of the rewards: input side, patch size, width, depth.</summary>
    public const int VisionImageSize = 32;
    public const int VisionPatch = 8;
    public const int VisionWidth = 32;
    public const int VisionHeads = 2;
    public const int VisionLayers = 2;
    public const int ProjectionWidth = TextWidth;

    /// <summary>LAION aesthetic v2 head widths at toy scale (real: 768→1024→128→64→16→1, no activations).</summary>
    public static readonly int[] AestheticWidths = [ProjectionWidth, 48, 16, 8, 4, 1];

    /// <summary>
    /// ImageReward v1.0 at toy scale: BLIP's ViT (real: ViT-L/16 at 224, width 1024) and its BERT text encoder
    /// (real: width 768, 12 layers, cross-attention in every layer), 35 tokens, the MLP 768→1024→128→64→16→1.
    /// The vision width differs from the text width, as 1024 ≠ 768 does, so cross-attention projects between them.
    /// </summary>
    public const int BlipImageSize = 32;
    public const int BlipPatch = 8;
    public const int BlipVisionWidth = 40;
    public const int BlipVisionHeads = 2;
    public const int BlipVisionLayers = 2;
    public const int BertWidth = 32;
    public const int BertHeads = 2;
    public const int BertLayers = 2;
    public const int BertIntermediate = 4 * BertWidth;
    public const int BertMaxPositions = 40;
    public const int ImageRewardMaxLength = 35;
    public static readonly int[] ImageRewardMlpWidths = [BertWidth, 48, 16, 8, 4, 1];

    /// <summary>
    /// HPSv2 at toy scale: OpenCLIP ViT-H-14 (real: 224 / patch 14, vision width 1280, text width 1024, embed 1024)
    /// as 28 / patch 7 (the same 16×16-ish grid ratio), with distinct vision, text and embedding widths.
    /// </summary>
    public const int HpsImageSize = 28;
    public const int HpsPatch = 7;
    public const int HpsVisionWidth = 48;
    public const int HpsVisionHeads = 2;
    public const int HpsVisionLayers = 2;
    public const int HpsTextWidth = 40;
    public const int HpsTextHeads = 2;
    public const int HpsTextLayers = 2;
    public const int HpsEmbedWidth = 32;

    /// <summary>CLIP's image normalisation constants (OpenAI CLIP, also used by HPSv2 and the aesthetic head).</summary>
    public static readonly double[] ClipMean = [0.48145466, 0.4578275, 0.40821073];
    public static readonly double[] ClipStd = [0.26862954, 0.26130258, 0.27577711];
}
