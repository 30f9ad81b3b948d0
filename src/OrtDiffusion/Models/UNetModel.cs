using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Models;

/// <summary>
/// The Stable Diffusion UNet: <c>sample</c>, <c>timestep</c>, <c>encoder_hidden_states</c> → <c>out_sample</c>.
/// Element types (float32 or float16) and the timestep format are read from the model. <c>Predict</c>
/// reuses preallocated buffers, so a sampling loop allocates nothing per step. Gradients go through
/// <see cref="Differentiable"/>, opened on first use. As an <see cref="IDenoiser"/> it ignores attention masks (the
/// UNet has no mask input; CLIP embeddings are used padded, as diffusers does).
/// </summary>
public sealed class UNetModel : OnnxComponent, IDenoiser
{
    private readonly SlotCache slots = new();
    private readonly string[] inputNames;
    private readonly string[] outputNames;
    private readonly OrtValue[] inputValues = new OrtValue[3];
    private readonly OrtValue?[] outputValues = new OrtValue?[1];
    private readonly Dictionary<string, DifferentiableModel> differentiable = new(StringComparer.Ordinal);
    private readonly long fixedTimestepLength;

    /// <summary>Opens the UNet at <paramref name="modelPath"/> and checks its contract.</summary>
    public UNetModel(string modelPath, ExecutionOptions options)
        : base(modelPath, "UNet", options)
    {
        var sample = RequireInput("the noisy latents [batch, 4, height/8, width/8]", "sample", "hidden_states");
        var timestep = RequireInput("the timestep", "timestep", "timesteps", "t");
        var hidden = RequireInput("the text embeddings [batch, sequence, width]", "encoder_hidden_states");
        var output = RequireOutput("the predicted noise", orFirst: true, "out_sample", "sample");
        RequireType(sample, TensorElementType.Float, TensorElementType.Float16);
        RequireRank(sample, 4, "[batch, channels, height, width]");
        RequireRank(hidden, 3, "[batch, sequence, width]");
        RequireType(timestep, TensorElementType.Int64, TensorElementType.Float, TensorElementType.Float16, TensorElementType.Int32);
        SampleType = sample.ElementType;
        HiddenStatesType = hidden.ElementType;
        TimestepType = timestep.ElementType;
        Timestep = DenoiserTimestep.FormatOf(timestep, Role, modelPath);
        fixedTimestepLength = DenoiserTimestep.FixedLength(timestep);
        InChannels = sample.Shape[1] > 0 ? (int)sample.Shape[1] : 4;
        HiddenSize = hidden.Shape[2] > 0 ? (int)hidden.Shape[2] : -1;
        inputNames = [sample.Name, timestep.Name, hidden.Name];
        outputNames = [output.Name];
    }

    /// <summary>How the model takes its timestep.</summary>
    public TimestepFormat Timestep { get; }

    /// <summary>Element type of <c>sample</c> (float16 for fp16 exports).</summary>
    public TensorElementType SampleType { get; }

    /// <summary>Element type of <c>encoder_hidden_states</c>.</summary>
    public TensorElementType HiddenStatesType { get; }

    /// <summary>Element type of the timestep input.</summary>
    public TensorElementType TimestepType { get; }

    /// <summary>Latent channels (4 for SD v1.5).</summary>
    public int InChannels { get; }

    /// <summary>Width of the text embeddings, or −1 when the model leaves it symbolic.</summary>
    public int HiddenSize { get; }

    /// <inheritdoc />
    int IDenoiser.LatentChannels => InChannels;

    /// <summary>False: the UNet has no attention-mask input.</summary>
    public bool TakesAttentionMask => false;

    /// <inheritdoc />
    public string HiddenStatesInput => inputNames[2];

    /// <summary>The input names (sample, timestep, encoder hidden states).</summary>
    public IReadOnlyList<string> InputNames => inputNames;

    /// <summary>The output name.</summary>
    public string OutputName => outputNames[0];

    /// <summary>
    /// Predicts the noise for <paramref name="sample"/> (already scaled by the scheduler) at <paramref name="timestep"/>
    /// with the given text embeddings, writing it to <paramref name="noise"/>.
    /// </summary>
    public void Predict(ReadOnlySpan<float> sample, ReadOnlySpan<long> sampleShape, float timestep, FloatTensor hiddenStates, Span<float> noise, RunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(hiddenStates);
        Bind(sample, sampleShape, timestep, hiddenStates);
        var output = slots.Get("out", SampleType, sampleShape);
        outputValues[0] = output.Value;
        Session.Run(inputNames, inputValues, outputNames, outputValues, runOptions);
        output.Read(noise);
    }

    /// <inheritdoc />
    /// <remarks>The UNet has no mask input; <paramref name="attentionMask"/> is ignored.</remarks>
    public void Predict(ReadOnlySpan<float> sample, ReadOnlySpan<long> sampleShape, float timestep, FloatTensor hiddenStates, FloatTensor? attentionMask, Span<float> noise, RunOptions? runOptions = null) =>
        Predict(sample, sampleShape, timestep, hiddenStates, noise, runOptions);

    /// <inheritdoc />
    /// <remarks>The UNet has no mask input; <paramref name="attentionMask"/> is ignored.</remarks>
    public DenoiserRecord PredictRecorded(ReadOnlySpan<float> sample, ReadOnlySpan<long> sampleShape, float timestep, FloatTensor hiddenStates, FloatTensor? attentionMask, Span<float> noise, RunOptions? runOptions = null)
    {
        var model = Differentiable(HiddenStatesInput);
        var record = PredictRecorded(model, sample, sampleShape, timestep, hiddenStates, noise, runOptions);
        return new DenoiserRecord(this, model, record, sampleShape.ToArray(), (long[])hiddenStates.Shape.Clone());
    }

    /// <inheritdoc />
    public FloatTensor BackwardToHiddenStates(DenoiserRecord record, ReadOnlySpan<float> noiseGradient, RunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.CheckOwner(this);
        long[] shape = [.. record.SampleShape];
        using var cotangent = CreateSampleTensor(noiseGradient.ToArray(), shape);
        using var gradients = record.Model.Backward(record.Forward, cotangent, runOptions);
        var g = new float[gradients[0].ElementCount];
        Read(gradients[0], g);
        return new FloatTensor(g, record.HiddenShapeArray());
    }

    /// <summary>The UNet's split VJP with respect to the named inputs (cached per set of inputs).</summary>
    public DifferentiableModel Differentiable(params string[] wrt)
    {
        var key = string.Join(",", wrt);
        if (!differentiable.TryGetValue(key, out var model))
        {
            model = DifferentiableModel.Open(ModelPath, OutputName, wrt, Options);
            differentiable[key] = model;
        }

        return model;
    }

    /// <summary>
    /// Runs the forward pass of <paramref name="model"/> (from <see cref="Differentiable"/>) on these inputs,
    /// writing the noise to <paramref name="noise"/>; the returned record feeds <see cref="DifferentiableModel.Backward"/>.
    /// </summary>
    public ForwardRecord PredictRecorded(DifferentiableModel model, ReadOnlySpan<float> sample, ReadOnlySpan<long> sampleShape, float timestep, FloatTensor hiddenStates, Span<float> noise, RunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(hiddenStates);
        Bind(sample, sampleShape, timestep, hiddenStates);
        var feeds = new Dictionary<string, OrtValue>(StringComparer.Ordinal)
        {
            [inputNames[0]] = inputValues[0],
            [inputNames[1]] = inputValues[1],
            [inputNames[2]] = inputValues[2],
        };
        var record = model.Forward(feeds, runOptions);
        Read(record.Output, noise);
        return record;
    }

    /// <summary>A tensor of the sample's element type holding <paramref name="values"/> (e.g. a cotangent).</summary>
    public OrtValue CreateSampleTensor(float[] values, ReadOnlySpan<long> shape) => SampleType == TensorElementType.Float16
        ? OrtValue.CreateTensor(Array.ConvertAll(values, v => (Half)v), shape)
        : OrtValue.CreateTensor(values, shape);

    /// <summary>Copies a float or float16 tensor into <paramref name="destination"/> as float.</summary>
    public static void Read(OrtValue value, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.ElementType == TensorElementType.Float16)
        {
            System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(value.GetTensorReadOnlySpan<Half>(), destination);
        }
        else
        {
            value.GetTensorReadOnlySpan<float>().CopyTo(destination);
        }
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            slots.Dispose();
            foreach (var model in differentiable.Values)
            {
                model.Dispose();
            }
        }

        base.Dispose(disposing);
    }

    private void Bind(ReadOnlySpan<float> sample, ReadOnlySpan<long> sampleShape, float timestep, FloatTensor hiddenStates)
    {
        if (sampleShape.Length != 4)
        {
            throw new ArgumentException($"UNet samples are [batch, channels, height, width]; got {FloatTensor.ShapeText(sampleShape)}.", nameof(sampleShape));
        }

        if (hiddenStates.Shape.Length != 3 || hiddenStates.Shape[0] != sampleShape[0])
        {
            throw new ArgumentException($"Text embeddings {FloatTensor.ShapeText(hiddenStates.Shape)} must be [batch, sequence, width] with the sample's batch {sampleShape[0]}.", nameof(hiddenStates));
        }

        if (HiddenSize > 0 && hiddenStates.Shape[2] != HiddenSize)
        {
            throw new ArgumentException($"The UNet '{ModelPath}' takes text embeddings {HiddenSize} wide; got {FloatTensor.ShapeText(hiddenStates.Shape)}.", nameof(hiddenStates));
        }

        var sampleSlot = slots.Get("sample", SampleType, sampleShape);
        sampleSlot.Write(sample);
        var timestepSlot = DenoiserTimestep.Fill(slots, Timestep, TimestepType, fixedTimestepLength, sampleShape[0], timestep);
        var hiddenSlot = slots.Get("text", HiddenStatesType, hiddenStates.Shape);
        hiddenSlot.Write(hiddenStates.Data);
        inputValues[0] = sampleSlot.Value;
        inputValues[1] = timestepSlot.Value;
        inputValues[2] = hiddenSlot.Value;
    }
}
