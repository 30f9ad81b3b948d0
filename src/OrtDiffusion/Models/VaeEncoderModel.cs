using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Models;

/// <summary>
/// The VAE encoder: an image <c>[batch, 3, H, W]</c> in [−1, 1] → scaled latents <c>[batch, 4, H/8, W/8]</c>.
/// Exports return either <c>latent_parameters</c> (mean and log-variance; the mean is used — the distribution's
/// mode, deterministic) or an already sampled <c>latent_sample</c>; both are multiplied by the scaling factor.
/// </summary>
public sealed class VaeEncoderModel : OnnxComponent
{
    private readonly string inputName;
    private readonly string outputName;
    private readonly bool parameters;
    private readonly TensorElementType inputType;

    /// <summary>Opens the encoder at <paramref name="modelPath"/>.</summary>
    public VaeEncoderModel(string modelPath, float scalingFactor, ExecutionOptions options)
        : base(modelPath, "VAE encoder", options)
    {
        var input = RequireInput("the image [batch, 3, H, W] in [-1, 1]", "sample", "images");
        RequireRank(input, 4, "[batch, 3, height, width]");
        RequireType(input, TensorElementType.Float, TensorElementType.Float16);
        var output = RequireOutput("the latent distribution or a sample of it", orFirst: false, "latent_parameters", "latent_sample", "latent_dist");
        inputName = input.Name;
        outputName = output.Name;
        inputType = input.ElementType;
        parameters = output.Name is "latent_parameters" or "latent_dist";
        ScalingFactor = scalingFactor;
    }

    /// <summary>The latent scaling factor.</summary>
    public float ScalingFactor { get; }

    /// <summary>Encodes an image in [−1, 1] to scaled latents.</summary>
    public FloatTensor Encode(FloatTensor image, RunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Shape.Length != 4 || image.Shape[1] != 3 || image.Shape[2] % 8 != 0 || image.Shape[3] % 8 != 0)
        {
            throw new ArgumentException($"Images for the VAE encoder are [batch, 3, H, W] with H and W multiples of 8; got {FloatTensor.ShapeText(image.Shape)}.", nameof(image));
        }

        using var input = inputType == TensorElementType.Float16
            ? OrtValue.CreateTensor(Array.ConvertAll(image.Data, v => (Half)v), image.Shape)
            : OrtValue.CreateTensor(image.Data, image.Shape);
        using var outputs = Session.Run(new Dictionary<string, OrtValue> { [inputName] = input }, [outputName], runOptions);
        var value = outputs[0];
        var all = new float[value.ElementCount];
        UNetModel.Read(value, all);
        var shape = value.Shape.ToArray();
        if (parameters)
        {
            // [B, 2C, h, w]: the first C channels are the mean.
            var channels = shape[1] / 2;
            var plane = shape[2] * shape[3];
            var mean = new float[shape[0] * channels * plane];
            for (var b = 0; b < shape[0]; b++)
            {
                Array.Copy(all, b * shape[1] * plane, mean, b * channels * plane, channels * plane);
            }

            all = mean;
            shape = [shape[0], channels, shape[2], shape[3]];
        }

        System.Numerics.Tensors.TensorPrimitives.Multiply(all, ScalingFactor, all);
        return new FloatTensor(all, shape);
    }
}
