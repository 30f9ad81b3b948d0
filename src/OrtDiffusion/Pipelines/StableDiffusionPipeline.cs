using System.Diagnostics;
using System.Globalization;
using OrtDiffusion.Imaging;
using OrtDiffusion.Models;
using OrtDiffusion.Randomness;
using OrtDiffusion.Runtime;
using OrtDiffusion.Schedulers;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Pipelines;

/// <summary>
/// Stable Diffusion v1.5 text-to-image and image-to-image on ONNX Runtime: prompts → embeddings → a seeded,
/// torch-identical initial noise → the scheduler's sampling loop with classifier-free guidance → the VAE decoder.
/// The noise predictor is pluggable, which is how DATE changes the conditional embedding during sampling.
/// </summary>
public sealed class StableDiffusionPipeline : IDiffusionPipeline
{
    private readonly RecentCache<(string Prompt, bool Padded), PromptEncoding> encodings = new(PromptCacheSize);
    private readonly bool ownsModel;

    /// <summary>Wraps an opened model (the caller keeps ownership).</summary>
    public StableDiffusionPipeline(StableDiffusionModel model)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
    }

    private StableDiffusionPipeline(StableDiffusionModel model, bool owns)
        : this(model)
    {
        ownsModel = owns;
    }

    /// <summary>The model.</summary>
    public StableDiffusionModel Model { get; }

    /// <inheritdoc />
    public DiffusionBackbone Backbone => DiffusionBackbone.StableDiffusion;

    /// <inheritdoc />
    public string ModelName => Model.Name;

    /// <inheritdoc />
    public IDenoiser Denoiser => Model.Unet;

    /// <inheritdoc />
    public VaeDecoderModel Decoder => Model.VaeDecoder;

    /// <summary>SD v1.5's defaults: 50 steps, guidance 7.5, 512×512, the model's own scheduler.</summary>
    public GenerationRequest DefaultRequest => new();

    /// <summary>Opens the model folder and a pipeline over it (disposing the pipeline closes the model).</summary>
    public static StableDiffusionPipeline Load(string folder, ExecutionOptions? options = null) =>
        new(StableDiffusionModel.Load(folder, options), owns: true);

    /// <summary>How many recent prompt encodings a pipeline keeps.</summary>
    internal const int PromptCacheSize = 32;

    /// <summary>The encoder output for <paramref name="prompt"/> (the most recent prompts' are cached).</summary>
    public PromptEncoding EncodePrompt(string prompt, bool padded = true)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return encodings.GetOrAdd((prompt, padded), key => Model.TextEncoder.Encode(key.Prompt, key.Padded));
    }

    /// <summary>The conditional and unconditional embeddings of a prompt pair, repeated for the batch.</summary>
    public PromptEmbeddings EncodePrompts(string prompt, string negativePrompt, int batchSize)
    {
        var conditional = EncodePrompt(prompt).Embedding;
        var unconditional = EncodePrompt(negativePrompt ?? string.Empty).Embedding;
        return PromptEmbeddings.ForBatch(conditional, unconditional, batchSize);
    }

    /// <summary>A fresh scheduler for one run: the named one, or the model's own configuration.</summary>
    public IScheduler CreateScheduler(string? name, int steps, float eta = 0f) =>
        SamplingLoop.CreateScheduler(Model.SchedulerConfig, name, steps, eta);

    /// <summary>Generates images for <paramref name="request"/>.</summary>
    /// <param name="request">Prompts, settings, seed, size and optional starts.</param>
    /// <param name="predictor">The noise predictor (CFG by default; DATE supplies its own).</param>
    /// <param name="onStep">Called after every step with the latents and x̄₀.</param>
    /// <param name="progress">Receives one report per step.</param>
    /// <param name="cancellationToken">Stops the run between (and inside) model calls; nothing partial is returned.</param>
    public GenerationResult Generate(
        GenerationRequest request,
        INoisePredictor? predictor = null,
        StepCallback? onStep = null,
        IProgress<GenerationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        predictor ??= GuidedNoisePredictor.Instance;

        var (embeddings, truncated) = SamplingLoop.Embeddings(request, this, prompt => EncodePrompt(prompt).Tokens.Truncated);

        var scheduler = CreateScheduler(request.Scheduler, request.Steps, request.Eta);
        long[] latentShape = [request.BatchSize, Model.Unet.InChannels, request.Height / 8, request.Width / 8];
        var generator = new TorchGenerator(request.Seed);
        using var runOptions = new RunOptions();
        using var registration = runOptions.CancelOn(cancellationToken);
        var context = new DenoisingContext(Model.Unet, scheduler, embeddings, request.GuidanceScale, latentShape, runOptions, cancellationToken);

        var start = PrepareLatents(request, scheduler, generator, context, latentShape, runOptions);
        SamplingLoop.Run(context, predictor, start, generator, onStep, progress);
        var latents = new FloatTensor(context.Latents, latentShape);
        cancellationToken.ThrowIfCancellationRequested();
        var images = Model.VaeDecoder.Decode(latents, runOptions);
        var parameters = Describe(request, scheduler);
        return new GenerationResult(images, latents, embeddings, parameters, clock.Elapsed, context.DenoiserCalls, truncated);
    }

    /// <summary>Closes the model when this pipeline opened it.</summary>
    public void Dispose()
    {
        if (ownsModel)
        {
            Model.Dispose();
        }
    }

    // Fills the context's latents; returns the first step to run.
    private int PrepareLatents(GenerationRequest request, IScheduler scheduler, TorchGenerator generator, DenoisingContext context, long[] shape, RunOptions runOptions)
    {
        if (request.InitImage is { } image)
        {
            var encoder = Model.VaeEncoder ?? throw new InvalidOperationException($"Image-to-image needs a VAE encoder; '{Model.Folder}' has no vae_encoder/model.onnx.");
            if (image.Shape.Length != 4 || image.Shape[1] != 3 || image.Shape[2] != request.Height || image.Shape[3] != request.Width)
            {
                throw new ArgumentException($"The init image {FloatTensor.ShapeText(image.Shape)} must be [1 or batch, 3, {request.Height}, {request.Width}] (resize it to the requested size first).");
            }

            var batched = image.BatchSize == request.BatchSize ? image : FloatTensor.Concat([.. Enumerable.Repeat(image, request.BatchSize)]);
            var clean = encoder.Encode(batched, runOptions);
            if (request.Strength == 0f)
            {
                clean.Data.CopyTo(context.Latents, 0);
                return scheduler.Timesteps.Count; // nothing to denoise: the encoded image is the result
            }

            var start = scheduler.GetTimestepIndexForStrength(request.Strength);
            var noise = generator.Randn([.. shape.Select(d => (int)d)]);
            scheduler.AddNoise(clean.Data, noise, start, context.Latents);
            return start;
        }

        SamplingLoop.FillInitialNoise(request, scheduler, generator, context.Latents, shape, $"{request.BatchSize}×{request.Width}×{request.Height}");
        return 0;
    }

    private GenerationParameters Describe(GenerationRequest request, IScheduler scheduler) =>
        SamplingLoop.Describe(request, scheduler, Model.Name, request.InitImage is null ? [] : [KeyValuePair.Create("Denoising strength", request.Strength.ToString(CultureInfo.InvariantCulture))]);

    // The names AUTOMATIC1111 writes for these samplers.
    internal static string SamplerName(SchedulerKind kind) => kind switch
    {
        SchedulerKind.Ddim => "DDIM",
        SchedulerKind.Pndm => "PLMS",
        SchedulerKind.Lms => "LMS",
        SchedulerKind.Euler => "Euler",
        SchedulerKind.DpmSolverMultistep => "DPM++ 2M",
        _ => kind.ToString(),
    };
}
