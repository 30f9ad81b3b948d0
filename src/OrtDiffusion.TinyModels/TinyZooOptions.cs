using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using OrtDiffusion.Onnx;

namespace OrtDiffusion.TinyModels;

/// <summary>How the tiny UNet takes its <c>timestep</c> input; real exports differ here.</summary>
public enum UNetTimestepKind
{
    /// <summary><c>int64 [steps]</c>, as Optimum exports it (one value per sample, or one broadcast to the batch).</summary>
    Int64PerSample,

    /// <summary><c>float [steps]</c> in the model's float type, as diffusers' legacy ONNX converter wrote it.</summary>
    FloatPerSample,

    /// <summary><c>float []</c>, a 0-d value in the model's float type, broadcast to the batch inside the graph.</summary>
    FloatScalar,
}

/// <summary>Choices for building the tiny model zoo. Equal options give byte-identical files.</summary>
public sealed record TinyZooOptions
{
    /// <summary>Seed of every weight; each tensor draws from its own stream derived from this seed and its name.</summary>
    public long Seed { get; init; }

    /// <summary>Default-domain opset: 17 (LayerNormalization operator) or 14 (LayerNorm decomposed, as older exports).</summary>
    public int Opset { get; init; } = 17;

    /// <summary>Element type of the UNet's <c>timestep</c> input and its rank.</summary>
    public UNetTimestepKind Timestep { get; init; } = UNetTimestepKind.Int64PerSample;

    /// <summary>Element type of the text encoder's <c>input_ids</c>: int32 (Optimum's CLIP export) or int64.</summary>
    public ElementType InputIdsType { get; init; } = ElementType.Int32;

    /// <summary>
    /// Writes the Stable Diffusion networks in float16 (weights, activations and float inputs/outputs, as
    /// <c>optimum-cli export onnx --fp16</c>), keeping float32 where real fp16 exports do (timestep sinusoid,
    /// VAE attention softmax). Rewards stay float32.
    /// </summary>
    public bool Float16 { get; init; }

    /// <summary>Stores the UNet's weights in <c>unet/model.onnx_data</c> beside <c>unet/model.onnx</c>, as Optimum does.</summary>
    public bool UNetExternalData { get; init; } = true;

    /// <summary>Writes <c>vae_encoder/</c> too (image-to-image and editing need it).</summary>
    public bool IncludeVaeEncoder { get; init; } = true;

    /// <summary>The default options (seed 0, opset 17, int64 timestep, int32 input ids, float32, external UNet data).</summary>
    public static TinyZooOptions Default { get; } = new();

    /// <summary>Throws when a choice is outside what the zoo builds, naming the option.</summary>
    /// <exception cref="ArgumentException">An option has an unsupported value.</exception>
    public void Validate()
    {
        if (Opset is not (14 or 17))
        {
            throw new ArgumentException($"TinyZooOptions.Opset must be 14 or 17, not {Opset}.");
        }

        if (InputIdsType is not (ElementType.Int32 or ElementType.Int64))
        {
            throw new ArgumentException($"TinyZooOptions.InputIdsType must be int32 or int64, not {ElementTypes.Name(InputIdsType)}.");
        }

        if (!Enum.IsDefined(Timestep))
        {
            throw new ArgumentException($"TinyZooOptions.Timestep has the undefined value {(int)Timestep}.");
        }
    }

    /// <summary>The float element type of the Stable Diffusion networks.</summary>
    internal ElementType ModelType => Float16 ? ElementType.Float16 : ElementType.Float;

    /// <summary>A short hash of every option that changes the written files, for the up-to-date stamp.</summary>
    internal string Fingerprint(string component)
    {
        var text = string.Create(
            CultureInfo.InvariantCulture,
            $"{component}|seed={Seed}|opset={Opset}|timestep={Timestep}|ids={InputIdsType}|fp16={Float16}|external={UNetExternalData}|encoder={IncludeVaeEncoder}");
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..16];
    }
}
