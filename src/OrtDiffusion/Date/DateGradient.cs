using System.Diagnostics;
using System.Numerics.Tensors;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.Schedulers;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Date;

/// <summary>
/// The reward of the Tweedie estimate at one sampling step, h(c) = reward(decode(x̄₀(ε̂(c))) / 2 + 0.5), and its
/// gradient with respect to the conditional embedding c: the networks' VJPs joined by hand-written chain rule.
/// The denoiser is the UNet or PixArt's transformer (whose ε is the first half of its channels, so its cotangent is
/// [g, 0]); the conditional key mask goes with c. <see cref="Evaluate"/> is the same function forward-only (tests
/// difference it).
/// </summary>
internal sealed class DateGradient(IReward reward, VaeDecoderModel decoder, string prompt)
{
    // h(x̄₀(c)) per sample and ∇_c Σ h through the denoiser, CFG, x̄₀, the decoder and the reward.
    public (float[] Scores, FloatTensor Gradient) Compute(DenoisingContext context, FloatTensor conditional, float[] unconditional, List<KeyValuePair<string, double>> calls)
    {
        var n = context.Latents.Length;
        var denoiser = context.Denoiser;
        var mask = context.Embeddings.ConditionalMask;
        var conditionalNoise = new float[n];
        using var denoiserRecord = Timed(calls, "denoiser cond forward (recorded)", () =>
            denoiser.PredictRecorded(context.ModelInput, context.LatentShape, context.Timestep, conditional, mask, conditionalNoise, context.RunOptions));
        context.DenoiserCalls++;

        var guided = new float[n];
        Combine(context, unconditional, conditionalNoise, guided);
        var x0 = PredictedOriginal(context, guided);

        FloatTensor image = null!;
        using var decoderRecord = Timed(calls, "vae decode (recorded)", () => decoder.DecodeRecorded(x0, out image, context.RunOptions));
        var weights = new float[image.BatchSize];
        Array.Fill(weights, 1f);
        var rewardGradient = Timed(calls, "reward vjp", () => reward.ScoreWithGradient(ToZeroOne(image), prompt, weights, context.Cancellation));
        if (!rewardGradient.Scores.All(float.IsFinite))
        {
            throw new InvalidOperationException($"The reward '{reward.Name}' returned a non-finite score at step {context.StepIndex}.");
        }

        // img = raw/2 + 0.5, so d/d raw = ½ d/d img.
        var imageGradient = rewardGradient.ImageGradient.Clone();
        TensorPrimitives.Multiply(imageGradient.Data, 0.5f, imageGradient.Data);
        var latentGradient = Timed(calls, "vae decode backward", () => decoder.BackwardToScaledLatents(decoderRecord, imageGradient, context.RunOptions));

        // x̄₀ = a·ε̂ + b·x_t with history fixed, ε̂ = ε_u + w(ε_c − ε_u): d/dε_c = w·a·d/dx̄₀.
        var derivatives = context.Scheduler.GetStepDerivatives(context.StepIndex);
        var scale = (float)(derivatives.OriginalWrtModelOutput * (context.UsesGuidance ? context.GuidanceScale : 1f));
        var noiseGradient = new float[n];
        TensorPrimitives.Multiply(latentGradient.Data, scale, noiseGradient);

        var g = Timed(calls, "denoiser backward", () => denoiser.BackwardToHiddenStates(denoiserRecord, noiseGradient, context.RunOptions));
        return (rewardGradient.Scores, g);
    }

    /// <summary>h(c) per sample, forward only (no recorded passes).</summary>
    public float[] Evaluate(DenoisingContext context, FloatTensor conditional, float[] unconditional)
    {
        var noise = new float[context.Latents.Length];
        context.Denoiser.Predict(context.ModelInput, context.LatentShape, context.Timestep, conditional, context.Embeddings.ConditionalMask, noise, context.RunOptions);
        var guided = new float[noise.Length];
        Combine(context, unconditional, noise, guided);
        return ScoreGuided(context, guided);
    }

    /// <summary>h of the x̄₀ a guided noise prediction gives (decoder and reward forward).</summary>
    public float[] ScoreGuided(DenoisingContext context, float[] guided)
    {
        var image = decoder.Decode(PredictedOriginal(context, guided), context.RunOptions);
        return reward.Score(ToZeroOne(image), prompt, context.Cancellation);
    }

    public static void Combine(DenoisingContext context, float[] unconditional, float[] conditional, Span<float> guided)
    {
        if (context.UsesGuidance)
        {
            ClassifierFreeGuidance.Combine(unconditional, conditional, context.GuidanceScale, guided);
        }
        else
        {
            conditional.CopyTo(guided);
        }
    }

    // x̄₀ exactly as the scheduler's step computes it: step a copy of the scheduler (same history; noise is
    // irrelevant to x̄₀) and keep its predicted original sample.
    public static FloatTensor PredictedOriginal(DenoisingContext context, float[] guided)
    {
        var probe = context.Scheduler.Clone();
        var previous = new float[guided.Length];
        var x0 = new float[guided.Length];
        probe.Step(guided, context.StepIndex, context.Latents, previous, x0, context.Embeddings.BatchSize, ZeroNoise.Instance);
        return new FloatTensor(x0, context.LatentShape);
    }

    public static FloatTensor ToZeroOne(FloatTensor image)
    {
        var data = new float[image.Length];
        TensorPrimitives.Multiply(image.Data, 0.5f, data);
        TensorPrimitives.Add(data, 0.5f, data);
        return new FloatTensor(data, image.Shape);
    }

    public static T Timed<T>(List<KeyValuePair<string, double>> calls, string name, Func<T> call)
    {
        var clock = Stopwatch.StartNew();
        var result = call();
        calls.Add(KeyValuePair.Create(name, clock.Elapsed.TotalMilliseconds));
        return result;
    }

    public static void Timed(List<KeyValuePair<string, double>> calls, string name, Action call)
    {
        var clock = Stopwatch.StartNew();
        call();
        calls.Add(KeyValuePair.Create(name, clock.Elapsed.TotalMilliseconds));
    }

    private sealed class ZeroNoise : INoiseSource
    {
        public static ZeroNoise Instance { get; } = new();

        public void Fill(Span<float> destination) => destination.Clear();
    }
}
