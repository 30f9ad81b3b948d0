using System.Diagnostics;
using System.Globalization;
using OrtDiffusion.Imaging;
using OrtDiffusion.Models;
using OrtDiffusion.PixArt;
using OrtDiffusion.Randomness;
using OrtDiffusion.Runtime;
using OrtDiffusion.Schedulers;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Pipelines;

/// <summary>
/// PixArt-α text-to-image on ONNX Runtime, as diffusers' <c>PixArtAlphaPipeline</c>: prompts lower-cased and trimmed
/// → T5 (120 tokens with the attention mask; the negative prompt has its own mask) → the requested size mapped to the
/// nearest trained aspect-ratio bucket → seeded, torch-identical noise → DPM-Solver++ (20 steps, guidance 4.5 by
/// default) with both CFG branches in one transformer call, ε = the first 4 of 8 output channels → the VAE decoder →
/// bilinear resize and centre crop back to the requested size. The noise predictor is pluggable, so DATE runs here as on
/// Stable Diffusion.
/// </summary>
/// <remarks>
/// Prompt text: diffusers' <c>clean_caption</c> (URL/HTML/CJK removal with BeautifulSoup and ftfy) is not done; prompts get
/// what diffusers does without it, <c>text.lower().strip()</c> (<see cref="PreparePrompt"/>). Image-to-image is not offered
/// (diffusers' PixArt-α pipeline has none, and the folder has no VAE encoder).
/// </remarks>
public sealed class PixArtAlphaPipeline : IDiffusionPipeline
{
    /// <summary>diffusers' default step count for PixArt-α.</summary>
    public const int DefaultSteps = 20;

    /// <summary>diffusers' default guidance scale for PixArt-α.</summary>
    public const float DefaultGuidanceScale = 4.5f;

    private readonly RecentCache<string, PromptEncoding> encodings = new(StableDiffusionPipeline.PromptCacheSize);
    private readonly bool ownsModel;

    /// <summary>Wraps an opened model (the caller keeps ownership).</summary>
    public PixArtAlphaPipeline(PixArtAlphaModel model)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        ResolutionBins = model.SampleSize is { } size ? AspectRatioBins.ForSampleSize(size) : null;
    }

    private PixArtAlphaPipeline(PixArtAlphaModel model, bool owns)
        : this(model)
    {
        ownsModel = owns;
    }

    /// <summary>The model.</summary>
    public PixArtAlphaModel Model { get; }

    /// <summary>
    /// The aspect-ratio buckets requests are binned to: by default the table for the transformer's <c>sample_size</c>
    /// (128 → 1024 px, 64 → 512 px, 32 → 256 px), null (no binning) for other sizes. Settable for models trained on
    /// other buckets.
    /// </summary>
    public AspectRatioBins? ResolutionBins { get; set; }

    /// <inheritdoc />
    public DiffusionBackbone Backbone => DiffusionBackbone.PixArtAlpha;

    /// <inheritdoc />
    public string ModelName => Model.Name;

    /// <inheritdoc />
    public IDenoiser Denoiser => Model.Transformer;

    /// <inheritdoc />
    public VaeDecoderModel Decoder => Model.VaeDecoder;

    /// <summary>PixArt-α's defaults: 20 steps, guidance 4.5, the transformer's native size (<c>sample_size</c> × 8; 512 when unknown), the model's own scheduler.</summary>
    public GenerationRequest DefaultRequest
    {
        get
        {
            var side = Model.SampleSize is { } s ? s * Model.VaeScaleFactor : 512;
            return new GenerationRequest { Steps = DefaultSteps, GuidanceScale = DefaultGuidanceScale, Width = side, Height = side };
        }
    }

    /// <summary>Opens the model folder and a pipeline over it (disposing the pipeline closes the model).</summary>
    public static PixArtAlphaPipeline Load(string folder, ExecutionOptions? options = null) =>
        new(PixArtAlphaModel.Load(folder, options), owns: true);

    /// <summary>What diffusers does to a prompt when it does not clean captions: <c>text.lower().strip()</c>.</summary>
    public static string PreparePrompt(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return prompt.ToLowerInvariant().Trim();
    }

    /// <summary>The T5 encoding of <paramref name="prompt"/> after <see cref="PreparePrompt"/> (the most recent prompts' are cached).</summary>
    public PromptEncoding EncodePrompt(string prompt) => encodings.GetOrAdd(PreparePrompt(prompt), Model.TextEncoder.Encode);


    /// <summary>The conditional and unconditional embeddings and their masks, repeated for the batch.</summary>
    public PromptEmbeddings EncodePrompts(string prompt, string negativePrompt, int batchSize)
    {
        var conditional = EncodePrompt(prompt);
        var unconditional = EncodePrompt(negativePrompt ?? string.Empty);
        return PromptEmbeddings.ForBatch(conditional.Embedding, unconditional.Embedding, batchSize, conditional.AttentionMask(), unconditional.AttentionMask());
    }

    /// <inheritdoc />
    public IScheduler CreateScheduler(string? name, int steps, float eta = 0f) =>
        SamplingLoop.CreateScheduler(Model.SchedulerConfig, name, steps, eta);

    /// <summary>The size the request is generated at: its resolution bucket, or the requested size without binning.</summary>
    public (int Height, int Width) GenerationSize(GenerationRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.ResolutionBinning && ResolutionBins is { } bins)
        {
            var bin = bins.Classify(request.Height, request.Width);
            return (bin.Height, bin.Width);
        }

        return (request.Height, request.Width);
    }

    /// <inheritdoc />
    public GenerationResult Generate(
        GenerationRequest request,
        INoisePredictor? predictor = null,
        StepCallback? onStep = null,
        IProgress<GenerationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        Validate(request);
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        predictor ??= GuidedNoisePredictor.Instance;

        var (embeddings, truncated) = SamplingLoop.Embeddings(request, this, prompt => EncodePrompt(prompt).Tokens.Truncated);

        var (height, width) = GenerationSize(request);
        var scheduler = CreateScheduler(request.Scheduler, request.Steps, request.Eta);
        var factor = Model.VaeScaleFactor;
        long[] latentShape = [request.BatchSize, Model.Transformer.LatentChannels, height / factor, width / factor];
        var generator = new TorchGenerator(request.Seed);
        using var runOptions = new RunOptions();
        using var registration = runOptions.CancelOn(cancellationToken);
        var context = new DenoisingContext(Model.Transformer, scheduler, embeddings, request.GuidanceScale, latentShape, runOptions, cancellationToken);
        SamplingLoop.FillInitialNoise(request, scheduler, generator, context.Latents, latentShape, $"{request.BatchSize}×{width}×{height}");
        SamplingLoop.Run(context, predictor, 0, generator, onStep, progress);

        var latents = new FloatTensor(context.Latents, latentShape);
        cancellationToken.ThrowIfCancellationRequested();
        var images = BinnedImageResize.ResizeAndCrop(Model.VaeDecoder.Decode(latents, runOptions), request.Width, request.Height);
        var parameters = Describe(request, scheduler, height, width);
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

    private void Validate(GenerationRequest request)
    {
        request.ValidateSettings();
        if (request.InitImage is not null)
        {
            throw new NotSupportedException("PixArt-α generates from text only; image-to-image (an init image) needs a Stable Diffusion model with a VAE encoder.");
        }

        if (request.Width < 1 || request.Height < 1)
        {
            throw new ArgumentException($"Width and height must be positive; got {request.Width}×{request.Height}.");
        }

        var (height, width) = GenerationSize(request);
        var multiple = Model.VaeScaleFactor * Model.PatchSize;
        if (height % multiple != 0 || width % multiple != 0)
        {
            var how = request.ResolutionBinning && ResolutionBins is not null ? $"the resolution bucket {width}×{height}" : $"{width}×{height} (no resolution binning)";
            throw new ArgumentException(
                $"PixArt-α generates at sizes that are multiples of {multiple} (VAE factor {Model.VaeScaleFactor} × patch {Model.PatchSize}); {how} is not.");
        }
    }

    private GenerationParameters Describe(GenerationRequest request, IScheduler scheduler, int height, int width) =>
        SamplingLoop.Describe(request, scheduler, Model.Name, request.ResolutionBinning && ResolutionBins is not null
            ? [KeyValuePair.Create("Resolution bin", string.Create(CultureInfo.InvariantCulture, $"{width}x{height}"))]
            : []);
}
