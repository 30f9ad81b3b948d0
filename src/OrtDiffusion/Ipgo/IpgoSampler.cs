using System.Diagnostics;
using System.Numerics.Tensors;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Randomness;
using OrtDiffusion.Rewards;
using OrtDiffusion.Runtime;
using OrtDiffusion.Schedulers;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Ipgo;

/// <summary>
/// One IPGO generation with its reward gradient: sample from the fixed initial noise with c, the UNet outputs of all
/// but the last K_t steps taken as constants; run the last K_t steps with the UNet's recorded forward (w.r.t.
/// <c>sample</c> and <c>encoder_hidden_states</c>, batch [uncond; cond]); decode (recorded), clamp to [0, 1], score;
/// then the chain rule by hand: reward VJP → ½ and the clamp's mask → decoder VJP (÷ scaling) → back through each
/// recorded step x_{i+1} = A_i ε̂_i + B_i x_i + Σ_j (history through stored values of earlier steps j) → CFG
/// (cotangent (1 − w)g for the uncond half, w·g for the cond half) → UNet VJP: the cond half of the
/// <c>encoder_hidden_states</c> gradient goes to c, both halves of the <c>sample</c> gradient times the input scale go
/// to the previous latents.
/// </summary>
internal sealed class IpgoSampler
{
    private readonly StableDiffusionModel model;
    private readonly IReward reward;
    private readonly IScheduler template;
    private readonly float[] noise;
    private readonly long[] latentShape;
    private readonly long[] batchShape;
    private readonly float guidance;
    private readonly int truncate;

    public IpgoSampler(StableDiffusionModel model, IReward reward, IpgoOptions options)
    {
        this.model = model;
        this.reward = reward;
        template = SchedulerFactory.Create(options.Scheduler, model.SchedulerConfig);
        if (!template.HasStepDerivatives)
        {
            // GetStepDerivatives names the reason (clip_sample, thresholding).
            _ = template.GetStepDerivatives(0);
        }

        template.SetTimesteps(options.Steps);
        if (options.Truncate > template.Timesteps.Count)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Truncate, $"--truncate {options.Truncate} exceeds the {template.Timesteps.Count} model calls of {options.Steps} {options.Scheduler} steps.");
        }

        truncate = options.Truncate;
        guidance = options.GuidanceScale;
        latentShape = [1, model.Unet.InChannels, options.Height / 8, options.Width / 8];
        batchShape = Guided ? [2, latentShape[1], latentShape[2], latentShape[3]] : latentShape;
        noise = new TorchGenerator(options.Seed).Randn([.. latentShape.Select(d => (int)d)]);
    }

    private bool Guided => ClassifierFreeGuidance.IsActive(guidance);

    /// <summary>Generates with <paramref name="conditional"/> c <c>[1, N, D]</c> and returns the reward, the image and ∇_c reward.</summary>
    public IpgoSample Run(FloatTensor conditional, FloatTensor unconditional, string prompt, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        var modelTime = new Stopwatch();
        using var runOptions = new RunOptions();
        using var registration = runOptions.CancelOn(cancellationToken);
        var unet = model.Unet;
        var scheduler = template.Clone();
        var steps = scheduler.Timesteps.Count;
        var first = steps - truncate;
        var n = noise.Length;
        var batch = Guided ? 2 : 1;
        var embeddings = Guided ? FloatTensor.Concat(unconditional, conditional) : conditional;

        var latents = new float[n];
        TensorPrimitives.Multiply(noise, scheduler.InitNoiseSigma, latents);
        var input = new float[batch * n];
        var output = new float[batch * n];
        var guided = new float[n];
        var calls = 0;
        for (var i = 0; i < first; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            ModelInput(scheduler, latents, input, i, batch);
            modelTime.Start();
            unet.Predict(input, batchShape, scheduler.Timesteps[i], embeddings, output, runOptions);
            modelTime.Stop();
            calls++;
            Guide(output, guided);
            scheduler.Step(guided, i, latents, latents, []);
        }

        // The recorded steps: keep each step's derivatives (asked before the step) and the UNet's residuals.
        var differentiable = unet.Differentiable(unet.InputNames[0], unet.InputNames[2]);
        var window = new RecordedStep[truncate];
        try
        {
            for (var w = 0; w < truncate; w++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var i = first + w;
                var step = new RecordedStep(scheduler.GetStepDerivatives(i), scheduler.GetHistoryDerivatives(i), scheduler.ModelInputScale(i));
                ModelInput(scheduler, latents, input, i, batch);
                modelTime.Start();
                step.Record = unet.PredictRecorded(differentiable, input, batchShape, scheduler.Timesteps[i], embeddings, output, runOptions);
                modelTime.Stop();
                calls++;
                window[w] = step;
                Guide(output, guided);
                scheduler.Step(guided, i, latents, latents, []);
            }

            if (!FloatTensor.AllFinite(latents))
            {
                throw new InvalidOperationException("IPGO sampling produced non-finite latents; check the model, the settings and the learning rate.");
            }

            // img = clamp(decode(x / scaling) / 2 + ½, 0, 1).
            var final = new FloatTensor(latents, latentShape);
            FloatTensor raw = null!;
            modelTime.Start();
            using var decoded = model.VaeDecoder.DecodeRecorded(final, out raw, runOptions);
            modelTime.Stop();
            var image = new float[raw.Length];
            TensorPrimitives.Multiply(raw.Data, 0.5f, image);
            TensorPrimitives.Add(image, 0.5f, image);
            TensorPrimitives.Clamp(image, 0f, 1f, image);
            var images = new FloatTensor(image, raw.Shape);
            modelTime.Start();
            var scored = reward.ScoreWithGradient(images, prompt, [1f], cancellationToken);
            modelTime.Stop();
            var score = scored.Scores.Length == 1 ? scored.Scores[0] : float.NaN;
            if (!float.IsFinite(score))
            {
                throw new InvalidOperationException($"The reward '{reward.Name}' returned {(scored.Scores.Length == 1 ? score.ToString() : $"{scored.Scores.Length} scores")} for one image of \"{prompt}\".");
            }

            // Through ½ and the clamp (PyTorch passes the gradient where 0 ≤ value ≤ 1, bounds included).
            var rawGradient = new float[raw.Length];
            for (var k = 0; k < rawGradient.Length; k++)
            {
                var value = (raw.Data[k] * 0.5f) + 0.5f;
                rawGradient[k] = value is >= 0f and <= 1f ? 0.5f * scored.ImageGradient.Data[k] : 0f;
            }

            modelTime.Start();
            var latentGradient = model.VaeDecoder.BackwardToScaledLatents(decoded, new FloatTensor(rawGradient, raw.Shape), runOptions);
            modelTime.Stop();
            var gradient = Backward(window, latentGradient.Data, conditional, runOptions, modelTime, cancellationToken);
            return new IpgoSample(score, images, gradient, clock.Elapsed, modelTime.Elapsed, calls);
        }
        finally
        {
            foreach (var step in window)
            {
                step?.Record?.Dispose();
            }
        }
    }

    // Reverse sweep over the recorded steps. adjX[w] = dR/dx at the window's step w (w = truncate is the final latents);
    // adjEps[w] = dR/dε̂ there. When step w is reached every later consumer of x_{w+1} and ε̂_w has been swept.
    private FloatTensor Backward(RecordedStep[] window, float[] finalGradient, FloatTensor conditional, RunOptions runOptions, Stopwatch modelTime, CancellationToken cancellationToken)
    {
        var n = finalGradient.Length;
        var adjX = new float[truncate + 1][];
        var adjEps = new float[truncate][];
        for (var w = 0; w <= truncate; w++)
        {
            adjX[w] = new float[n];
        }

        for (var w = 0; w < truncate; w++)
        {
            adjEps[w] = new float[n];
        }

        finalGradient.CopyTo(adjX[truncate], 0);
        var unet = model.Unet;
        var differentiable = unet.Differentiable(unet.InputNames[0], unet.InputNames[2]);
        var gradient = new float[conditional.Length];
        var cotangent = new float[batchShape[0] * n];
        var sampleGradient = new float[batchShape[0] * n];
        var windowStart = template.Timesteps.Count - truncate;
        for (var w = truncate - 1; w >= 0; w--)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var step = window[w];
            var next = adjX[w + 1];
            TensorPrimitives.MultiplyAdd(next, (float)step.Derivatives.PrevWrtModelOutput, adjEps[w], adjEps[w]);
            TensorPrimitives.MultiplyAdd(next, (float)step.Derivatives.PrevWrtSample, adjX[w], adjX[w]);
            foreach (var h in step.History)
            {
                var earlier = h.StepIndex - windowStart;
                if (earlier < 0)
                {
                    continue; // a step before the window: its model output and sample are constants
                }

                TensorPrimitives.MultiplyAdd(next, (float)h.PrevWrtModelOutput, adjEps[earlier], adjEps[earlier]);
                TensorPrimitives.MultiplyAdd(next, (float)h.PrevWrtSample, adjX[earlier], adjX[earlier]);
            }

            // ε̂ = ε_u + w(ε_c − ε_u): [(1 − w)g; w·g] for the batch [uncond; cond].
            if (Guided)
            {
                TensorPrimitives.Multiply(adjEps[w], 1f - guidance, cotangent.AsSpan(0, n));
                TensorPrimitives.Multiply(adjEps[w], guidance, cotangent.AsSpan(n, n));
            }
            else
            {
                adjEps[w].CopyTo(cotangent, 0);
            }

            using var cotangentValue = unet.CreateSampleTensor(cotangent, batchShape);
            modelTime.Start();
            using var grads = differentiable.Backward(step.Record!, cotangentValue, runOptions);
            modelTime.Stop();

            // encoder_hidden_states: the cond half only (c_u is a constant).
            var hidden = new float[grads[1].ElementCount];
            UNetModel.Read(grads[1], hidden);
            TensorPrimitives.Add(gradient, hidden.AsSpan(hidden.Length - gradient.Length), gradient);

            // sample: both halves saw the same scaled latents.
            if (w > 0)
            {
                UNetModel.Read(grads[0], sampleGradient);
                var scale = step.InputScale;
                for (var b = 0; b < batchShape[0]; b++)
                {
                    TensorPrimitives.MultiplyAdd(sampleGradient.AsSpan(b * n, n), scale, adjX[w], adjX[w]);
                }
            }
        }

        return new FloatTensor(gradient, conditional.Shape);
    }

    private void ModelInput(IScheduler scheduler, float[] latents, float[] input, int step, int batch)
    {
        var n = latents.Length;
        scheduler.ScaleModelInput(latents, input.AsSpan(0, n), step);
        for (var b = 1; b < batch; b++)
        {
            input.AsSpan(0, n).CopyTo(input.AsSpan(b * n, n));
        }
    }

    private void Guide(float[] output, float[] guided)
    {
        var n = guided.Length;
        if (Guided)
        {
            ClassifierFreeGuidance.Combine(output.AsSpan(0, n), output.AsSpan(n, n), guidance, guided);
        }
        else
        {
            output.AsSpan(0, n).CopyTo(guided);
        }
    }

    private sealed class RecordedStep(StepDerivatives derivatives, IReadOnlyList<HistoryDerivative> history, float inputScale)
    {
        public StepDerivatives Derivatives { get; } = derivatives;

        public IReadOnlyList<HistoryDerivative> History { get; } = history;

        public float InputScale { get; } = inputScale;

        public ForwardRecord? Record { get; set; }
    }
}

/// <summary>One IPGO generation: the reward, the image scored, ∇_c reward and what it cost.</summary>
/// <param name="Reward">The reward of the image.</param>
/// <param name="Image">The image <c>[1, 3, H, W]</c> in [0, 1] (clamped, as scored).</param>
/// <param name="Gradient">∇_c reward, <c>[1, N, D]</c>.</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="ModelTime">Time inside ONNX Runtime (UNet, decoder, reward; forward and backward).</param>
/// <param name="UnetCalls">UNet forward calls (a batched CFG call counts once).</param>
internal sealed record IpgoSample(float Reward, FloatTensor Image, FloatTensor Gradient, TimeSpan Elapsed, TimeSpan ModelTime, int UnetCalls);
