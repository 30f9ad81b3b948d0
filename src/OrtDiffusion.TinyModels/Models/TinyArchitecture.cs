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

    /// <summary>CLIP's image normalisation constants (OpenAI CLIP, also used by HPSv2 and the aesthetic head).</summary>
    public static readonly double[] ClipMean = [0.48145466, 0.4578275, 0.40821073];
    public static readonly double[] ClipStd = [0.26862954, 0.26130258, 0.27577711];
}
