using System.Numerics.Tensors;
using OrtDiffusion.Imaging;
using OrtDiffusion.Randomness;
using OrtDiffusion.Schedulers;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Pipelines;

/// <summary>
/// The sampling loop both pipelines share: seeded torch-identical initial noise, then per step scale the model input,
/// let the noise predictor produce ε̂ (CFG, or DATE's update first), step the scheduler, report. Nothing in a plain
/// step allocates.
/// </summary>
internal static class SamplingLoop
{
    /// <summary>A fresh scheduler for one run: the named one, or the one <paramref name="config"/> names; η for DDIM only.</summary>
    public static IScheduler CreateScheduler(SchedulerConfig config, string? name, int steps, float eta)
    {
        var scheduler = name is null ? SchedulerFactory.Create(config) : SchedulerFactory.Create(name, config);
        if (scheduler is DdimScheduler ddim)
        {
            ddim.Eta = eta;
        }
        else if (eta != 0f)
        {
            throw new ArgumentException($"η applies to DDIM only, not to {SchedulerFactory.ClassNameOf(scheduler.Kind)}.", nameof(eta));
        }

        scheduler.SetTimesteps(steps);
        return scheduler;
    }

    /// <summary>The PNG parameters of a run: the request's settings, the sampler's A1111 name, <paramref name="extra"/>, then η when not 0.</summary>
    public static GenerationParameters Describe(GenerationRequest request, IScheduler scheduler, string modelName, List<KeyValuePair<string, string>> extra)
    {
        if (request.Eta != 0f)
        {
            extra.Add(KeyValuePair.Create("Eta", request.Eta.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        return new GenerationParameters
        {
            Prompt = request.Prompt,
            NegativePrompt = request.NegativePrompt,
            Steps = request.Steps,
            Sampler = StableDiffusionPipeline.SamplerName(scheduler.Kind),
            CfgScale = request.GuidanceScale,
            Seed = request.Seed,
            Width = request.Width,
            Height = request.Height,
            Model = modelName,
            Extra = extra,
        };
    }

    /// <summary>
    /// The request's embeddings repeated for its batch when it supplies them (DATE, IPGO), else the pipeline's encoding
    /// of its prompts; and whether the prompt was cut to the encoder's length.
    /// </summary>
    public static (PromptEmbeddings Embeddings, bool Truncated) Embeddings(GenerationRequest request, IDiffusionPipeline pipeline, Func<string, bool> promptTruncated) =>
        request.Embeddings is { } supplied
            ? (supplied.ForBatch(request.BatchSize), false)
            : (pipeline.EncodePrompts(request.Prompt, request.NegativePrompt, request.BatchSize), promptTruncated(request.Prompt));

    /// <summary>
    /// Writes the initial latents: the request's <see cref="GenerationRequest.InitialLatents"/> or <c>torch.randn</c> of
    /// <paramref name="shape"/> from the seeded generator (as diffusers' <c>prepare_latents</c>), times the scheduler's
    /// initial sigma.
    /// </summary>
    public static void FillInitialNoise(GenerationRequest request, IScheduler scheduler, TorchGenerator generator, float[] latents, long[] shape, string sizeText)
    {
        float[] initial;
        if (request.InitialLatents is { } given)
        {
            if (!given.Shape.SequenceEqual(shape))
            {
                throw new ArgumentException($"The initial latents {FloatTensor.ShapeText(given.Shape)} must be {FloatTensor.ShapeText(shape)} for a {sizeText} request.");
            }

            initial = given.Data;
        }
        else
        {
            initial = generator.Randn([.. shape.Select(d => (int)d)]);
        }

        TensorPrimitives.Multiply(initial, scheduler.InitNoiseSigma, latents);
    }

    /// <summary>Runs the scheduler's steps from <paramref name="start"/> to the end on the context's latents.</summary>
    public static void Run(DenoisingContext context, INoisePredictor predictor, int start, TorchGenerator generator, StepCallback? onStep, IProgress<GenerationProgress>? progress)
    {
        var scheduler = context.Scheduler;
        var batch = (int)context.LatentShape[0];
        var guided = new float[context.Latents.Length];
        var original = new float[context.Latents.Length];
        var noise = new TorchNoiseSource(generator);
        var total = scheduler.Timesteps.Count - start;
        for (var i = start; i < scheduler.Timesteps.Count; i++)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            context.StepIndex = i;
            context.Timestep = scheduler.Timesteps[i];
            scheduler.ScaleModelInput(context.Latents, context.ModelInput, i);
            predictor.Predict(context, guided);
            scheduler.Step(guided, i, context.Latents, context.Latents, original, batch, noise);
            onStep?.Invoke(new StepSnapshot(i, context.Timestep, context.Latents, original, context.LatentShape));
            progress?.Report(new GenerationProgress(i - start + 1, total, context.Timestep));
        }

        if (!FloatTensor.AllFinite(context.Latents))
        {
            throw new InvalidOperationException("Sampling produced non-finite latents; check the model and the settings.");
        }
    }
}
