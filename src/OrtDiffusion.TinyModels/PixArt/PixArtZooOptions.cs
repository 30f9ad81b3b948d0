using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OrtDiffusion.Onnx;

namespace OrtDiffusion.TinyModels;

/// <summary>Choices for the tiny PixArt-α folder (<see cref="TinyZoo.WritePixArt"/>). Equal options give byte-identical files.</summary>
public sealed record PixArtZooOptions
{
    /// <summary>Seed of every weight; each tensor draws from its own stream derived from this seed and its name.</summary>
    public long Seed { get; init; }

    /// <summary>Default-domain opset: 17 (LayerNormalization operator) or 14 (LayerNorm decomposed).</summary>
    public int Opset { get; init; } = 17;

    /// <summary>
    /// Element type of the transformer's <c>timestep [batch_size]</c>: int64 (the scheduler's integer timesteps, as
    /// the pipeline passes them) or float.
    /// </summary>
    public ElementType TimestepType { get; init; } = ElementType.Int64;

    /// <summary>
    /// Element type of the transformer's <c>encoder_attention_mask [batch_size, sequence_length]</c>: int64 (the
    /// tokenizer's mask, as PixArt's pipeline passes it) or float (1 keep, 0 discard).
    /// </summary>
    public ElementType MaskType { get; init; } = ElementType.Int64;

    /// <summary>
    /// The 1024-px style: the transformer takes <c>resolution [batch_size, 2]</c> and <c>aspect_ratio [batch_size, 1]</c>
    /// (diffusers' <c>use_additional_conditions</c>), its sample size doubles and the position embedding's
    /// interpolation scale is 2, as PixArt-XL-2-1024-MS. Off: the 512-px style (PixArt-XL-2-512x512).
    /// </summary>
    public bool AdditionalConditions { get; init; }

    /// <summary>Stores the transformer's weights in <c>transformer/model.onnx_data</c>, as exports of the real (2.4 GB) model do.</summary>
    public bool TransformerExternalData { get; init; } = true;

    /// <summary>The default options (seed 0, opset 17, int64 timestep and mask, 512-px style, external transformer data).</summary>
    public static PixArtZooOptions Default { get; } = new();

    /// <summary>The PixArt options matching a whole-zoo choice: its seed and opset, everything else default.</summary>
    public static PixArtZooOptions From(TinyZooOptions? options) =>
        options is null ? Default : new PixArtZooOptions { Seed = options.Seed, Opset = options.Opset };

    /// <summary>Throws when a choice is outside what the zoo builds, naming the option.</summary>
    /// <exception cref="ArgumentException">An option has an unsupported value.</exception>
    public void Validate()
    {
        if (Opset is not (14 or 17))
        {
            throw new ArgumentException($"PixArtZooOptions.Opset must be 14 or 17, not {Opset}.");
        }

        if (TimestepType is not (ElementType.Int64 or ElementType.Float))
        {
            throw new ArgumentException($"PixArtZooOptions.TimestepType must be int64 or float, not {ElementTypes.Name(TimestepType)}.");
        }

        if (MaskType is not (ElementType.Int64 or ElementType.Float))
        {
            throw new ArgumentException($"PixArtZooOptions.MaskType must be int64 or float, not {ElementTypes.Name(MaskType)}.");
        }
    }

    /// <summary>The VAE decoder's options: the Stable Diffusion zoo's decoder for the same seed and opset.</summary>
    internal TinyZooOptions VaeOptions => TinyZooOptions.Default with { Seed = Seed, Opset = Opset };

    /// <summary>A short hash of every option that changes the written files, for the up-to-date stamp.</summary>
    internal string Fingerprint()
    {
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"pixart|seed={Seed}|opset={Opset}|timestep={TimestepType}|mask={MaskType}|conditions={AdditionalConditions}|external={TransformerExternalData}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
