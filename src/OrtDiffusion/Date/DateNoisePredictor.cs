using System.Diagnostics;
using System.Numerics.Tensors;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Date;

/// <summary>
/// DATE (Diffusion Adaptive Text Embedding) as a noise predictor for <see cref="StableDiffusionPipeline"/> and
/// <see cref="PixArtAlphaPipeline"/> alike (any <see cref="IDiffusionPipeline"/>: pass its <c>Decoder</c>).
/// At an update step: ε_u with the unconditional embedding (never changed); with the current conditional
/// embedding c, the denoiser's recorded forward gives ε_c, CFG gives ε̂, the scheduler gives x̄₀, and
/// h = reward(decode(x̄₀ / 0.18215) / 2 + 0.5) (no clamp); the hand-written chain rule
/// (reward VJP → ÷2 → decoder VJP → ÷0.18215 → ∂x̄₀/∂ε̂ → ×w → denoiser backward) gives g = ∇_c h, and
/// c ← c + ρ·g/‖g‖ with one Frobenius norm per sample over the whole <c>[sequence, width]</c> tensor. Then ε_c with
/// the new c, CFG, and the step. Other steps use the current c with the standard batched CFG call.
/// </summary>
/// <remarks>
/// Masked text positions (PixArt's T5 padding): the transformer's key mask removes them from every attention, so
/// g is exactly zero there and the norm over the whole tensor equals the norm over the kept positions; the update
/// direction is also multiplied by the mask, so those positions keep their encoder values whatever the model's
/// numerics (and the optional prior, whose c − c_org is zero there, adds nothing).
/// </remarks>
public sealed class DateNoisePredictor : INoisePredictor
{
    private readonly IReward reward;
    private readonly VaeDecoderModel decoder;
    private readonly string prompt;
    private readonly List<DateStepTrace> trace = [];
    private readonly DateGradient gradient;
    private FloatTensor? original;

    /// <summary>Creates the predictor for one generation.</summary>
    /// <param name="reward">The reward h (a single reward or a weighted sum).</param>
    /// <param name="decoder">The VAE decoder of the model being sampled.</param>
    /// <param name="prompt">The prompt the reward scores against.</param>
    /// <param name="options">ρ, the schedule and the variants.</param>
    public DateNoisePredictor(IReward reward, VaeDecoderModel decoder, string prompt, DateOptions? options = null)
    {
        this.reward = reward ?? throw new ArgumentNullException(nameof(reward));
        this.decoder = decoder ?? throw new ArgumentNullException(nameof(decoder));
        this.prompt = prompt ?? throw new ArgumentNullException(nameof(prompt));
        Options = options ?? new DateOptions();
        Options.Validate();
        gradient = new DateGradient(reward, decoder, prompt);
    }

    /// <summary>The settings.</summary>
    public DateOptions Options { get; }

    /// <summary>One entry per sampling step taken so far.</summary>
    public IReadOnlyList<DateStepTrace> Trace => trace;

    /// <summary>The embedding before any update (c_org).</summary>
    public FloatTensor? OriginalEmbedding => original;

    /// <inheritdoc />
    public void Predict(DenoisingContext context, Span<float> guided)
    {
        ArgumentNullException.ThrowIfNull(context);
        original ??= context.Embeddings.Conditional.Clone();
        var steps = context.Scheduler.NumInferenceSteps;
        if (!Options.Schedule.Updates(context.StepIndex, steps))
        {
            var clock = Stopwatch.StartNew();
            context.PredictGuided(guided);
            trace.Add(new DateStepTrace
            {
                Index = context.StepIndex,
                Timestep = context.Timestep,
                Updated = new bool[context.Embeddings.BatchSize],
                CallMilliseconds = [KeyValuePair.Create("denoiser guided", clock.Elapsed.TotalMilliseconds)],
            });
            return;
        }

        Update(context, guided);
    }

    private void Update(DenoisingContext context, Span<float> guided)
    {
        var calls = new List<KeyValuePair<string, double>>();
        var batch = context.Embeddings.BatchSize;
        var n = context.Latents.Length;
        var unconditional = new float[n];
        if (context.UsesGuidance)
        {
            DateGradient.Timed(calls, "denoiser uncond", () => context.PredictNoise(context.Embeddings.Unconditional, unconditional));
        }

        float[]? before = null;
        double[]? norms = null;
        var updated = new bool[batch];
        string? skipped = null;
        for (var s = 0; s < Options.GradientSteps; s++)
        {
            var (scores, g) = gradient.Compute(context, context.Embeddings.Conditional, unconditional, calls);
            before ??= scores;
            var direction = KeptPositionsOnly(WithPrior(context.Embeddings.Conditional, g), context.Embeddings.ConditionalMask);
            norms = PerSampleNorms(direction);
            var next = context.Embeddings.Conditional.Clone();
            for (var b = 0; b < batch; b++)
            {
                if (norms[b] == 0 || !double.IsFinite(norms[b]))
                {
                    skipped = norms[b] == 0 ? "zero gradient norm" : "non-finite gradient";
                    continue; // never write NaN into c; this sample keeps its embedding
                }

                var target = next.Item(b);
                if (Options.InitFromOriginal)
                {
                    original!.Item(b).CopyTo(target);
                }

                TensorPrimitives.MultiplyAdd(direction.Item(b), (float)(Options.Rho / norms[b]), target, target);
                updated[b] = true;
            }

            context.Embeddings.SetConditional(next);
        }

        var conditional = new float[n];
        DateGradient.Timed(calls, "denoiser cond", () => context.PredictNoise(context.Embeddings.Conditional, conditional));
        DateGradient.Combine(context, unconditional, conditional, guided);

        float[]? after = null;
        if (Options.ScoreAfterUpdate)
        {
            var guidedCopy = guided.ToArray();
            after = DateGradient.Timed(calls, "score after (decode + reward)", () => gradient.ScoreGuided(context, guidedCopy));
        }

        trace.Add(new DateStepTrace
        {
            Index = context.StepIndex,
            Timestep = context.Timestep,
            Scheduled = true,
            Updated = updated,
            RewardBefore = before,
            RewardAfter = after,
            GradientNorm = norms,
            SkipReason = skipped,
            CallMilliseconds = calls,
        });
    }

    // The loss is −h + λ·mean((c − c_org)²); its negative gradient is g − 2λ(c − c_org)/N.
    private FloatTensor WithPrior(FloatTensor conditional, FloatTensor gradient)
    {
        if (Options.PriorWeight == 0f)
        {
            return gradient;
        }

        var direction = gradient.Clone();
        var difference = new float[conditional.Length];
        TensorPrimitives.Subtract(conditional.Data, original!.Data, difference);
        TensorPrimitives.MultiplyAdd(difference, -2f * Options.PriorWeight / conditional.Length, direction.Data, direction.Data);
        return direction;
    }

    // Zero at positions the key mask discards (the gradient is already zero there; this keeps it so exactly).
    internal static FloatTensor KeptPositionsOnly(FloatTensor direction, FloatTensor? mask)
    {
        if (mask is null)
        {
            return direction;
        }

        var masked = direction.Clone();
        var width = (int)direction.Shape[2];
        for (var p = 0; p < mask.Length; p++)
        {
            if (mask.Data[p] == 0f)
            {
                masked.Data.AsSpan(p * width, width).Clear();
            }
        }

        return masked;
    }

    internal static double[] PerSampleNorms(FloatTensor tensor)
    {
        var norms = new double[tensor.BatchSize];
        for (var b = 0; b < norms.Length; b++)
        {
            double sum = 0;
            foreach (var v in tensor.Item(b))
            {
                sum += (double)v * v;
            }

            norms[b] = Math.Sqrt(sum);
        }

        return norms;
    }

}
