using OrtDiffusion.Models;
using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Pipelines;

/// <summary>
/// A text-to-image pipeline whatever its backbone: what a command-line tool or a gradient method needs without
/// knowing whether it drives Stable Diffusion's UNet or PixArt-α's transformer. Open one with
/// <see cref="DiffusionModelFolder.OpenPipeline"/>; DATE plugs in as <c>new DateNoisePredictor(reward, pipeline.Decoder, prompt, options)</c>.
/// </summary>
public interface IDiffusionPipeline : IDisposable
{
    /// <summary>Which backbone this is.</summary>
    DiffusionBackbone Backbone { get; }

    /// <summary>A short name for PNG parameters: the model folder's name.</summary>
    string ModelName { get; }

    /// <summary>
    /// A request with the backbone's defaults (SD v1.5: 50 steps, guidance 7.5, 512×512; PixArt-α: 20 steps, guidance 4.5,
    /// the transformer's native size); callers override what the user gave with <c>with { … }</c>.
    /// </summary>
    GenerationRequest DefaultRequest { get; }

    /// <summary>The denoiser (UNet or transformer).</summary>
    IDenoiser Denoiser { get; }

    /// <summary>The VAE decoder (DATE differentiates through it).</summary>
    VaeDecoderModel Decoder { get; }

    /// <summary>The conditional and unconditional embeddings (with masks where the encoder has them) of a prompt pair, repeated for the batch.</summary>
    PromptEmbeddings EncodePrompts(string prompt, string negativePrompt, int batchSize);

    /// <summary>A fresh scheduler for one run: the named one, or the model's own configuration.</summary>
    IScheduler CreateScheduler(string? name, int steps, float eta = 0f);

    /// <summary>Generates images for <paramref name="request"/>.</summary>
    /// <param name="request">Prompts, settings, seed, size and optional starts.</param>
    /// <param name="predictor">The noise predictor (CFG by default; DATE supplies its own).</param>
    /// <param name="onStep">Called after every step with the latents and x̄₀.</param>
    /// <param name="progress">Receives one report per step.</param>
    /// <param name="cancellationToken">Stops the run between (and inside) model calls; nothing partial is returned.</param>
    GenerationResult Generate(
        GenerationRequest request,
        INoisePredictor? predictor = null,
        StepCallback? onStep = null,
        IProgress<GenerationProgress>? progress = null,
        CancellationToken cancellationToken = default);
}
