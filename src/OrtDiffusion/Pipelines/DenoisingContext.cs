using OrtDiffusion.Models;
using OrtDiffusion.Runtime;
using OrtDiffusion.Schedulers;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Pipelines;

/// <summary>
/// The state of one generation's sampling loop as a noise predictor sees it: the current step, the latents,
/// the scheduler, the embeddings (and their masks), and the denoiser calls it may make. Buffers are allocated once
/// per generation, so the standard step allocates nothing.
/// </summary>
public sealed class DenoisingContext
{
    private readonly float[] doubledInput;
    private readonly float[] doubledNoise;
    private readonly float[] singleNoise;
    private readonly long[] doubledShape;
    private readonly FloatTensor? doubledMask;
    private FloatTensor? doubledEmbeddings;
    private int doubledEmbeddingsVersion = -1;

    internal DenoisingContext(IDenoiser denoiser, IScheduler scheduler, PromptEmbeddings embeddings, float guidanceScale, long[] latentShape, RunOptions runOptions, CancellationToken cancellation)
    {
        Denoiser = denoiser;
        Scheduler = scheduler;
        Embeddings = embeddings;
        GuidanceScale = guidanceScale;
        LatentShape = latentShape;
        RunOptions = runOptions;
        Cancellation = cancellation;
        var length = (int)FloatTensor.ElementCount(latentShape);
        Latents = new float[length];
        ModelInput = new float[length];
        singleNoise = new float[length];
        doubledInput = new float[2 * length];
        doubledNoise = new float[2 * length];
        doubledShape = [2 * latentShape[0], latentShape[1], latentShape[2], latentShape[3]];

        // [uncond; cond] masks for the batched call; they never change during sampling. A missing one keeps every position.
        if (embeddings.HasMasks)
        {
            var ones = FloatTensor.Zeros(embeddings.BatchSize, embeddings.Conditional.Shape[1]);
            Array.Fill(ones.Data, 1f);
            doubledMask = FloatTensor.Concat(embeddings.UnconditionalMask ?? ones, embeddings.ConditionalMask ?? ones);
        }
    }

    /// <summary>The denoiser: the UNet (Stable Diffusion) or the transformer (PixArt-α).</summary>
    public IDenoiser Denoiser { get; }

    /// <summary>The scheduler of this generation (its x̄₀ and step derivatives serve the gradient methods).</summary>
    public IScheduler Scheduler { get; }

    /// <summary>The embeddings; a predictor may replace the conditional one.</summary>
    public PromptEmbeddings Embeddings { get; }

    /// <summary>The guidance scale w.</summary>
    public float GuidanceScale { get; }

    /// <summary>Whether CFG is in use (w &gt; 1); otherwise ε̂ = ε_c.</summary>
    public bool UsesGuidance => ClassifierFreeGuidance.IsActive(GuidanceScale);

    /// <summary>The latent shape <c>[batch, 4, h, w]</c>.</summary>
    public long[] LatentShape { get; }

    /// <summary>The current step's index into the scheduler's timesteps.</summary>
    public int StepIndex { get; internal set; }

    /// <summary>The current step's timestep.</summary>
    public float Timestep { get; internal set; }

    /// <summary>The current latents x_t (read only for predictors).</summary>
    public float[] Latents { get; }

    /// <summary>x_t scaled by the scheduler for the model (read only for predictors).</summary>
    public float[] ModelInput { get; }

    /// <summary>ONNX Runtime run options tied to the generation's cancellation.</summary>
    public RunOptions RunOptions { get; }

    /// <summary>Cancels the generation.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Number of denoiser evaluations made so far (forward calls, recorded ones included; batched CFG counts once).</summary>
    public int DenoiserCalls { get; internal set; }

    /// <summary>The standard guided prediction: ε_u and ε_c in one batched call (masks concatenated alike), combined by CFG.</summary>
    public void PredictGuided(Span<float> guided)
    {
        if (!UsesGuidance)
        {
            PredictNoise(Embeddings.Conditional, Embeddings.ConditionalMask, guided);
            return;
        }

        var n = Latents.Length;
        ModelInput.CopyTo(doubledInput, 0);
        ModelInput.CopyTo(doubledInput, n);
        Denoiser.Predict(doubledInput, doubledShape, Timestep, DoubledEmbeddings(), doubledMask, doubledNoise, RunOptions);
        DenoiserCalls++;
        ClassifierFreeGuidance.Combine(doubledNoise.AsSpan(0, n), doubledNoise.AsSpan(n, n), GuidanceScale, guided);
    }

    /// <summary>
    /// One denoiser call at the current step with the given embeddings (batch as the latents). The mask is the
    /// unconditional one when <paramref name="embeddings"/> is <see cref="PromptEmbeddings.Unconditional"/> itself, and
    /// the conditional one for any other tensor (the conditional embedding, or a perturbed copy of it).
    /// </summary>
    public void PredictNoise(FloatTensor embeddings, Span<float> noise)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        PredictNoise(embeddings, MaskFor(embeddings), noise);
    }

    /// <summary>One denoiser call at the current step with the given embeddings and key mask (null keeps every position).</summary>
    public void PredictNoise(FloatTensor embeddings, FloatTensor? attentionMask, Span<float> noise)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        Denoiser.Predict(ModelInput, LatentShape, Timestep, embeddings, attentionMask, noise, RunOptions);
        DenoiserCalls++;
    }

    /// <summary>The mask that goes with <paramref name="embeddings"/> (see <see cref="PredictNoise(FloatTensor, Span{float})"/>).</summary>
    public FloatTensor? MaskFor(FloatTensor embeddings) =>
        ReferenceEquals(embeddings, Embeddings.Unconditional) ? Embeddings.UnconditionalMask : Embeddings.ConditionalMask;

    /// <summary>A scratch buffer the size of the latents, for predictors.</summary>
    public float[] NoiseScratch => singleNoise;

    // [uncond; cond] as the denoiser's batch, rebuilt only when the conditional embedding changed.
    private FloatTensor DoubledEmbeddings()
    {
        if (doubledEmbeddings is null || doubledEmbeddingsVersion != Embeddings.Version)
        {
            if (doubledEmbeddings is null)
            {
                doubledEmbeddings = FloatTensor.Concat(Embeddings.Unconditional, Embeddings.Conditional);
            }
            else
            {
                Embeddings.Conditional.Data.CopyTo(doubledEmbeddings.Data, Embeddings.Unconditional.Length);
            }

            doubledEmbeddingsVersion = Embeddings.Version;
        }

        return doubledEmbeddings;
    }
}
