using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Models;

/// <summary>
/// The noise-predicting network of a latent diffusion model as the sampling loop and the gradient methods use it:
/// Stable Diffusion's UNet or PixArt-α's transformer. Every call returns ε with the latents' channels (a transformer
/// with learned variance keeps its first half of channels; classifier-free guidance is linear per channel, so
/// selecting before or after guidance is the same). Text embeddings come with an optional key mask
/// <c>[batch, sequence]</c> (1 keep, 0 discard); a model without a mask input ignores it, a model with one takes
/// all ones when none is given.
/// </summary>
public interface IDenoiser : IDisposable
{
    /// <summary>The ONNX file.</summary>
    string ModelPath { get; }

    /// <summary>What the network is, as messages name it ("UNet", "transformer").</summary>
    string Role { get; }

    /// <summary>Channels of the latents and of ε (4 for SD v1.5 and PixArt-α).</summary>
    int LatentChannels { get; }

    /// <summary>Width of the text embeddings, or −1 when the model leaves it symbolic.</summary>
    int HiddenSize { get; }

    /// <summary>Whether the network takes a text attention mask (PixArt's <c>encoder_attention_mask</c>).</summary>
    bool TakesAttentionMask { get; }

    /// <summary>The name of the text-embedding input, the one gradients are taken with respect to.</summary>
    string HiddenStatesInput { get; }

    /// <summary>
    /// Predicts ε for <paramref name="sample"/> (already scaled by the scheduler) at <paramref name="timestep"/>,
    /// writing <c>[batch, LatentChannels, h, w]</c> to <paramref name="noise"/>. Reuses preallocated buffers per shape.
    /// </summary>
    void Predict(ReadOnlySpan<float> sample, ReadOnlySpan<long> sampleShape, float timestep, FloatTensor hiddenStates, FloatTensor? attentionMask, Span<float> noise, RunOptions? runOptions = null);

    /// <summary>
    /// The same prediction through the network's split VJP (opened on first use): writes ε and returns the record
    /// <see cref="BackwardToHiddenStates"/> needs. Dispose the record after the backward pass.
    /// </summary>
    DenoiserRecord PredictRecorded(ReadOnlySpan<float> sample, ReadOnlySpan<long> sampleShape, float timestep, FloatTensor hiddenStates, FloatTensor? attentionMask, Span<float> noise, RunOptions? runOptions = null);

    /// <summary>
    /// The gradient of ⟨<paramref name="noiseGradient"/>, ε⟩ with respect to the text embeddings of a recorded call,
    /// shaped as those embeddings. <paramref name="noiseGradient"/> has ε's shape; a learned-variance network gets the
    /// cotangent <c>[g, 0]</c> over its output channels (the discarded channels do not reach ε).
    /// </summary>
    FloatTensor BackwardToHiddenStates(DenoiserRecord record, ReadOnlySpan<float> noiseGradient, RunOptions? runOptions = null);
}

/// <summary>What a recorded denoiser call kept for its backward pass; made by <see cref="IDenoiser.PredictRecorded"/>.</summary>
public sealed class DenoiserRecord : IDisposable
{
    internal DenoiserRecord(IDenoiser owner, DifferentiableModel model, ForwardRecord forward, long[] sampleShape, long[] hiddenStatesShape)
    {
        Owner = owner;
        Model = model;
        Forward = forward;
        SampleShape = sampleShape;
        HiddenStatesShape = hiddenStatesShape;
    }

    /// <summary>The latent shape of the call.</summary>
    public IReadOnlyList<long> SampleShape { get; }

    /// <summary>The text-embedding shape of the call (the gradient's shape).</summary>
    public IReadOnlyList<long> HiddenStatesShape { get; }

    internal IDenoiser Owner { get; }

    internal DifferentiableModel Model { get; }

    internal ForwardRecord Forward { get; }

    /// <summary>Releases the residuals.</summary>
    public void Dispose() => Forward.Dispose();

    /// <summary>Throws unless <paramref name="denoiser"/> made this record.</summary>
    internal void CheckOwner(IDenoiser denoiser)
    {
        if (!ReferenceEquals(Owner, denoiser))
        {
            throw new ArgumentException($"This record was made by the {Owner.Role} '{Owner.ModelPath}', not by the {denoiser.Role} '{denoiser.ModelPath}'.");
        }
    }

    internal long[] HiddenShapeArray() => [.. HiddenStatesShape];
}
