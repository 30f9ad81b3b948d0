using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Models;

/// <summary>
/// PixArt-α's DiT (diffusers' <c>PixArtTransformer2DModel</c> exported to ONNX): <c>hidden_states</c>, <c>timestep</c>,
/// <c>encoder_hidden_states</c>, <c>encoder_attention_mask</c> [, <c>resolution</c>, <c>aspect_ratio</c>] →
/// <c>out_sample</c>. Element types and the timestep format are read from the model. With learned variance
/// (8 output channels for 4 latent channels) ε is the first half of the channels, as diffusers keeps it; the rest is
/// discarded. Models exported with the size conditioning (PixArt-XL-2-1024-MS) get <c>[height, width]</c> in pixels
/// and <c>height / width</c> per sample, from the latent size times the VAE's scale factor, as diffusers feeds them;
/// 512-px models have no such inputs.
/// </summary>
public sealed class PixArtTransformer : OnnxComponent, IDenoiser
{
    private readonly SlotCache slots = new();
    private readonly string[] inputNames;
    private readonly string[] outputNames;
    private readonly OrtValue[] inputValues;
    private readonly OrtValue?[] outputValues = new OrtValue?[1];
    private readonly long fixedTimestepLength;
    private readonly TensorElementType maskType;
    private readonly TensorElementType conditionType;
    private readonly bool aspectRatioIsVector;
    private DifferentiableModel? differentiable;

    /// <summary>Opens the transformer at <paramref name="modelPath"/> and checks its contract.</summary>
    /// <param name="modelPath">The ONNX file.</param>
    /// <param name="vaeScaleFactor">Pixels per latent position (8), for the size conditioning.</param>
    /// <param name="outChannels">Output channels when the model's metadata leaves them symbolic (from <c>config.json</c>), else null.</param>
    /// <param name="options">Device and threads.</param>
    public PixArtTransformer(string modelPath, int vaeScaleFactor, int? outChannels, ExecutionOptions options)
        : base(modelPath, "transformer", options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vaeScaleFactor, 1);
        var sample = RequireInput("the noisy latents [batch, 4, height/8, width/8]", "hidden_states", "sample");
        var timestep = RequireInput("the timestep [batch]", "timestep", "timesteps", "t");
        var hidden = RequireInput("the T5 embeddings [batch, sequence, width]", "encoder_hidden_states");
        var mask = RequireInput("the T5 attention mask [batch, sequence] (1 keep, 0 discard)", "encoder_attention_mask");
        var resolution = OptionalInput("resolution");
        var aspect = OptionalInput("aspect_ratio");
        var output = RequireOutput("ε and the learned variance [batch, 8, height/8, width/8]", orFirst: true, "out_sample", "sample");
        RequireType(sample, TensorElementType.Float, TensorElementType.Float16);
        RequireRank(sample, 4, "[batch, channels, height, width]");
        RequireType(hidden, TensorElementType.Float, TensorElementType.Float16);
        RequireRank(hidden, 3, "[batch, sequence, width]");
        RequireType(mask, TensorElementType.Int64, TensorElementType.Int32, TensorElementType.Float, TensorElementType.Float16);
        RequireRank(mask, 2, "[batch, sequence]");
        RequireType(timestep, TensorElementType.Int64, TensorElementType.Int32, TensorElementType.Float, TensorElementType.Float16);
        RequireRank(output, 4, "[batch, channels, height, width]");
        if ((resolution is null) != (aspect is null))
        {
            throw new InvalidDataException($"The transformer model '{modelPath}' has '{(resolution ?? aspect)!.Name}' but not '{(resolution is null ? "resolution" : "aspect_ratio")}'; the size conditioning takes both.");
        }

        if (resolution is not null && aspect is not null)
        {
            RequireType(resolution, TensorElementType.Float, TensorElementType.Float16);
            RequireRank(resolution, 2, "[batch, 2]: height and width in pixels");
            RequireType(aspect, TensorElementType.Float, TensorElementType.Float16);
            if (aspect.Rank is not (1 or 2))
            {
                RequireRank(aspect, 2, "[batch, 1]: height / width");
            }

            conditionType = resolution.ElementType;
            aspectRatioIsVector = aspect.Rank == 1;
        }

        SampleType = sample.ElementType;
        HiddenStatesType = hidden.ElementType;
        TimestepType = timestep.ElementType;
        maskType = mask.ElementType;
        Timestep = DenoiserTimestep.FormatOf(timestep, Role, modelPath);
        fixedTimestepLength = DenoiserTimestep.FixedLength(timestep);
        LatentChannels = sample.Shape[1] > 0 ? (int)sample.Shape[1] : 4;
        HiddenSize = hidden.Shape[2] > 0 ? (int)hidden.Shape[2] : -1;
        OutChannels = output.Shape[1] > 0 ? (int)output.Shape[1] : outChannels ?? throw new InvalidDataException(
            $"The transformer model '{modelPath}' leaves its output channels symbolic ({output.Name} {output.ShapeText}) and transformer/config.json gives no out_channels.");
        if (OutChannels != LatentChannels && OutChannels != 2 * LatentChannels)
        {
            throw new InvalidDataException($"The transformer model '{modelPath}' returns {OutChannels} channels for {LatentChannels} latent channels; expected {LatentChannels} (ε) or {2 * LatentChannels} (ε and the learned variance).");
        }

        VaeScaleFactor = vaeScaleFactor;
        HasSizeConditioning = resolution is not null;
        inputNames = HasSizeConditioning
            ? [sample.Name, timestep.Name, hidden.Name, mask.Name, resolution!.Name, aspect!.Name]
            : [sample.Name, timestep.Name, hidden.Name, mask.Name];
        inputValues = new OrtValue[inputNames.Length];
        outputNames = [output.Name];
    }

    /// <summary>How the model takes its timestep.</summary>
    public TimestepFormat Timestep { get; }

    /// <summary>Element type of <c>hidden_states</c>.</summary>
    public TensorElementType SampleType { get; }

    /// <summary>Element type of <c>encoder_hidden_states</c>.</summary>
    public TensorElementType HiddenStatesType { get; }

    /// <summary>Element type of the timestep input.</summary>
    public TensorElementType TimestepType { get; }

    /// <inheritdoc />
    public int LatentChannels { get; }

    /// <summary>Channels of <c>out_sample</c>: 8 with learned variance (ε is the first 4), else 4.</summary>
    public int OutChannels { get; }

    /// <summary>Whether the output carries learned-variance channels after ε.</summary>
    public bool LearnedSigma => OutChannels == 2 * LatentChannels;

    /// <inheritdoc />
    public int HiddenSize { get; }

    /// <summary>True: PixArt's transformer takes the T5 key mask.</summary>
    public bool TakesAttentionMask => true;

    /// <summary>Whether the model takes <c>resolution</c> and <c>aspect_ratio</c> (1024-px style).</summary>
    public bool HasSizeConditioning { get; }

    /// <summary>Pixels per latent position, for the size conditioning.</summary>
    public int VaeScaleFactor { get; }

    /// <summary>The input names in the order the model is fed.</summary>
    public IReadOnlyList<string> InputNames => inputNames;

    /// <inheritdoc />
    public string HiddenStatesInput => inputNames[2];

    /// <summary>The output name.</summary>
    public string OutputName => outputNames[0];

    /// <summary>The split VJP of <c>out_sample</c> with respect to <c>encoder_hidden_states</c> (opened on first use).</summary>
    public DifferentiableModel Differentiable => differentiable ??= DifferentiableModel.Open(ModelPath, OutputName, [HiddenStatesInput], Options);

    /// <inheritdoc />
    public void Predict(ReadOnlySpan<float> sample, ReadOnlySpan<long> sampleShape, float timestep, FloatTensor hiddenStates, FloatTensor? attentionMask, Span<float> noise, RunOptions? runOptions = null)
    {
        var output = RunToSlot(sample, sampleShape, timestep, hiddenStates, attentionMask, runOptions);
        var plane = (int)(sampleShape[2] * sampleShape[3]);
        output.ReadLeading(noise, OutChannels * plane, LatentChannels * plane);
    }

    /// <summary>
    /// The whole output <c>[batch, OutChannels, h, w]</c> (ε followed by the learned variance), written to
    /// <paramref name="output"/>; for checks of the channel selection.
    /// </summary>
    public void PredictAllChannels(ReadOnlySpan<float> sample, ReadOnlySpan<long> sampleShape, float timestep, FloatTensor hiddenStates, FloatTensor? attentionMask, Span<float> output, RunOptions? runOptions = null) =>
        RunToSlot(sample, sampleShape, timestep, hiddenStates, attentionMask, runOptions).Read(output);

    /// <inheritdoc />
    public DenoiserRecord PredictRecorded(ReadOnlySpan<float> sample, ReadOnlySpan<long> sampleShape, float timestep, FloatTensor hiddenStates, FloatTensor? attentionMask, Span<float> noise, RunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(hiddenStates);
        Bind(sample, sampleShape, timestep, hiddenStates, attentionMask);
        var feeds = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        for (var i = 0; i < inputNames.Length; i++)
        {
            feeds[inputNames[i]] = inputValues[i];
        }

        var model = Differentiable;
        var record = model.Forward(feeds, runOptions);
        try
        {
            var plane = (int)(sampleShape[2] * sampleShape[3]);
            ReadLeading(record.Output, noise, OutChannels * plane, LatentChannels * plane);
            return new DenoiserRecord(this, model, record, sampleShape.ToArray(), (long[])hiddenStates.Shape.Clone());
        }
        catch
        {
            record.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    public FloatTensor BackwardToHiddenStates(DenoiserRecord record, ReadOnlySpan<float> noiseGradient, RunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        record.CheckOwner(this);
        var shape = record.SampleShape;
        var plane = (int)(shape[2] * shape[3]);
        var batch = (int)shape[0];
        var keep = LatentChannels * plane;
        if (noiseGradient.Length != batch * keep)
        {
            throw new ArgumentException($"The noise gradient has {noiseGradient.Length} values; ε of the recorded call {FloatTensor.ShapeText([.. shape])} has {batch * keep}.", nameof(noiseGradient));
        }

        // Cotangent [g, 0]: the learned-variance channels never reach ε.
        var full = new float[batch * OutChannels * plane];
        for (var b = 0; b < batch; b++)
        {
            noiseGradient.Slice(b * keep, keep).CopyTo(full.AsSpan(b * OutChannels * plane, keep));
        }

        long[] outShape = [batch, OutChannels, shape[2], shape[3]];
        using var cotangent = SampleType == TensorElementType.Float16
            ? OrtValue.CreateTensor(Array.ConvertAll(full, v => (Half)v), outShape)
            : OrtValue.CreateTensor(full, outShape);
        using var gradients = record.Model.Backward(record.Forward, cotangent, runOptions);
        var g = new float[gradients[0].ElementCount];
        UNetModel.Read(gradients[0], g);
        return new FloatTensor(g, record.HiddenShapeArray());
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

    private TensorSlot RunToSlot(ReadOnlySpan<float> sample, ReadOnlySpan<long> sampleShape, float timestep, FloatTensor hiddenStates, FloatTensor? attentionMask, RunOptions? runOptions)
    {
        ArgumentNullException.ThrowIfNull(hiddenStates);
        Bind(sample, sampleShape, timestep, hiddenStates, attentionMask);
        var output = slots.Get("out", SampleType, [sampleShape[0], OutChannels, sampleShape[2], sampleShape[3]]);
        outputValues[0] = output.Value;
        Session.Run(inputNames, inputValues, outputNames, outputValues, runOptions);
        return output;
    }

    private static void ReadLeading(OrtValue value, Span<float> destination, int blockLength, int keep)
    {
        var blocks = (int)(value.ElementCount / blockLength);
        for (var b = 0; b < blocks; b++)
        {
            var target = destination.Slice(b * keep, keep);
            if (value.ElementType == TensorElementType.Float16)
            {
                System.Numerics.Tensors.TensorPrimitives.ConvertToSingle(value.GetTensorReadOnlySpan<Half>().Slice(b * blockLength, keep), target);
            }
            else
            {
                value.GetTensorReadOnlySpan<float>().Slice(b * blockLength, keep).CopyTo(target);
            }
        }
    }

    private void Bind(ReadOnlySpan<float> sample, ReadOnlySpan<long> sampleShape, float timestep, FloatTensor hiddenStates, FloatTensor? attentionMask)
    {
        if (sampleShape.Length != 4 || sampleShape[1] != LatentChannels)
        {
            throw new ArgumentException($"Transformer samples are [batch, {LatentChannels}, height, width]; got {FloatTensor.ShapeText(sampleShape)}.", nameof(sampleShape));
        }

        var batch = sampleShape[0];
        if (hiddenStates.Shape.Length != 3 || hiddenStates.Shape[0] != batch)
        {
            throw new ArgumentException($"Text embeddings {FloatTensor.ShapeText(hiddenStates.Shape)} must be [batch, sequence, width] with the sample's batch {batch}.", nameof(hiddenStates));
        }

        if (HiddenSize > 0 && hiddenStates.Shape[2] != HiddenSize)
        {
            throw new ArgumentException($"The transformer '{ModelPath}' takes text embeddings {HiddenSize} wide; got {FloatTensor.ShapeText(hiddenStates.Shape)}.", nameof(hiddenStates));
        }

        ReadOnlySpan<long> maskShape = [batch, hiddenStates.Shape[1]];
        if (attentionMask is not null && !maskShape.SequenceEqual(attentionMask.Shape))
        {
            throw new ArgumentException($"The attention mask {FloatTensor.ShapeText(attentionMask.Shape)} must be {FloatTensor.ShapeText(maskShape)} for embeddings {FloatTensor.ShapeText(hiddenStates.Shape)}.", nameof(attentionMask));
        }

        var sampleSlot = slots.Get("sample", SampleType, sampleShape);
        sampleSlot.Write(sample);
        var timestepSlot = DenoiserTimestep.Fill(slots, Timestep, TimestepType, fixedTimestepLength, batch, timestep);
        var hiddenSlot = slots.Get("text", HiddenStatesType, hiddenStates.Shape);
        hiddenSlot.Write(hiddenStates.Data);
        var maskSlot = slots.Get("mask", maskType, maskShape);
        if (attentionMask is null)
        {
            maskSlot.Fill(1f); // no mask given: attend to every position
        }
        else
        {
            maskSlot.WriteNumbers(attentionMask.Data);
        }

        inputValues[0] = sampleSlot.Value;
        inputValues[1] = timestepSlot.Value;
        inputValues[2] = hiddenSlot.Value;
        inputValues[3] = maskSlot.Value;
        if (HasSizeConditioning)
        {
            // diffusers: resolution = [height, width], aspect_ratio = height / width, per sample, at the generated size.
            var height = sampleShape[2] * VaeScaleFactor;
            var width = sampleShape[3] * VaeScaleFactor;
            var resolution = slots.Get("resolution", conditionType, [batch, 2]);
            for (var b = 0; b < batch; b++)
            {
                resolution.Set((int)(2 * b), height);
                resolution.Set((int)((2 * b) + 1), width);
            }

            var aspect = aspectRatioIsVector ? slots.Get("aspect", conditionType, [batch]) : slots.Get("aspect", conditionType, [batch, 1]);
            aspect.Fill((float)((double)height / width));
            inputValues[4] = resolution.Value;
            inputValues[5] = aspect.Value;
        }
    }
}
