using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Models;

/// <summary>
/// The VAE decoder: <c>latent_sample</c> <c>[batch, 4, h, w]</c> → <c>sample</c> <c>[batch, 3, 8h, 8w]</c> in about [−1, 1].
/// Callers divide latents by the scaling factor first (<see cref="Decode"/> does it for them).
/// </summary>
public sealed class VaeDecoderModel : OnnxComponent
{
    private readonly SlotCache slots = new();
    private readonly string[] inputNames;
    private readonly string[] outputNames;
    private readonly OrtValue[] inputValues = new OrtValue[1];
    private readonly OrtValue?[] outputValues = new OrtValue?[1];
    private DifferentiableModel? differentiable;

    /// <summary>Opens the decoder at <paramref name="modelPath"/>.</summary>
    public VaeDecoderModel(string modelPath, float scalingFactor, ExecutionOptions options)
        : base(modelPath, "VAE decoder", options)
    {
        var input = RequireInput("the latents [batch, 4, h, w]", "latent_sample", "latents", "z");
        RequireRank(input, 4, "[batch, channels, height, width]");
        RequireType(input, TensorElementType.Float, TensorElementType.Float16);
        var output = RequireOutput("the decoded image", orFirst: true, "sample");
        InputType = input.ElementType;
        inputNames = [input.Name];
        outputNames = [output.Name];
        ScalingFactor = scalingFactor;
    }

    /// <summary>The latent scaling factor (0.18215 for SD v1.5).</summary>
    public float ScalingFactor { get; }

    /// <summary>Element type of the latent input.</summary>
    public TensorElementType InputType { get; }

    /// <summary>The input name.</summary>
    public string InputName => inputNames[0];

    /// <summary>The output name.</summary>
    public string OutputName => outputNames[0];

    /// <summary>Decodes scaled latents (divides by <see cref="ScalingFactor"/>) into an image tensor in about [−1, 1].</summary>
    public FloatTensor Decode(FloatTensor latents, RunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(latents);
        var unscaled = Unscale(latents);
        var outShape = OutputShape(latents.Shape);
        var image = new float[FloatTensor.ElementCount(outShape)];
        var input = slots.Get("in", InputType, latents.Shape);
        input.Write(unscaled);
        var output = slots.Get("out", InputType, outShape);
        inputValues[0] = input.Value;
        outputValues[0] = output.Value;
        Session.Run(inputNames, inputValues, outputNames, outputValues, runOptions);
        output.Read(image);
        return new FloatTensor(image, outShape);
    }

    /// <summary>The decoder's split VJP with respect to its latent input (opened on first use).</summary>
    public DifferentiableModel Differentiable => differentiable ??= DifferentiableModel.Open(ModelPath, OutputName, [InputName], Options);

    /// <summary>Runs the recorded forward pass on scaled latents; the image goes to <paramref name="image"/>.</summary>
    public ForwardRecord DecodeRecorded(FloatTensor latents, out FloatTensor image, RunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(latents);
        var unscaled = Unscale(latents);
        using var input = InputType == TensorElementType.Float16
            ? OrtValue.CreateTensor(Array.ConvertAll(unscaled, v => (Half)v), latents.Shape)
            : OrtValue.CreateTensor(unscaled, latents.Shape);
        var record = Differentiable.Forward(new Dictionary<string, OrtValue> { [InputName] = input }, runOptions);
        var data = new float[record.Output.ElementCount];
        UNetModel.Read(record.Output, data);
        image = new FloatTensor(data, record.Output.Shape.ToArray());
        return record;
    }

    /// <summary>
    /// The gradient with respect to the scaled latents, given the gradient with respect to the decoded image
    /// (the chain rule through the division by the scaling factor is applied here).
    /// </summary>
    public FloatTensor BackwardToScaledLatents(ForwardRecord record, FloatTensor imageGradient, RunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(imageGradient);
        using var cotangent = InputType == TensorElementType.Float16
            ? OrtValue.CreateTensor(Array.ConvertAll(imageGradient.Data, v => (Half)v), imageGradient.Shape)
            : OrtValue.CreateTensor(imageGradient.Data, imageGradient.Shape);
        using var gradients = Differentiable.Backward(record, cotangent, runOptions);
        var value = gradients[0];
        var data = new float[value.ElementCount];
        UNetModel.Read(value, data);
        System.Numerics.Tensors.TensorPrimitives.Divide(data, ScalingFactor, data);
        return new FloatTensor(data, value.Shape.ToArray());
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            slots.Dispose();
            differentiable?.Dispose();
        }

        base.Dispose(disposing);
    }

    private float[] Unscale(FloatTensor latents)
    {
        if (latents.Shape.Length != 4)
        {
            throw new ArgumentException($"Latents are [batch, 4, h, w]; got {FloatTensor.ShapeText(latents.Shape)}.", nameof(latents));
        }

        var unscaled = new float[latents.Length];
        System.Numerics.Tensors.TensorPrimitives.Divide(latents.Data, ScalingFactor, unscaled);
        return unscaled;
    }

    private static long[] OutputShape(long[] latentShape) => [latentShape[0], 3, latentShape[2] * 8, latentShape[3] * 8];
}
