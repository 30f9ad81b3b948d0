using OrtDiffusion.Tensors;

namespace OrtDiffusion.Pipelines;

/// <summary>What to generate: prompts (or ready embeddings), sampling settings, seed, size, and optional starts.</summary>
public sealed record GenerationRequest
{
    /// <summary>The prompt.</summary>
    public string Prompt { get; init; } = string.Empty;

    /// <summary>The negative prompt (the unconditional branch of CFG); empty by default, as diffusers.</summary>
    public string NegativePrompt { get; init; } = string.Empty;

    /// <summary>Number of sampling steps.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>Classifier-free guidance scale w; at 1 or below only the conditional branch runs.</summary>
    public float GuidanceScale { get; init; } = 7.5f;

    /// <summary>Seed of the torch-compatible generator: the same seed gives diffusers' initial noise.</summary>
    public ulong Seed { get; init; }

    /// <summary>Image width in pixels (a multiple of 8; any size for PixArt-α with resolution binning).</summary>
    public int Width { get; init; } = 512;

    /// <summary>Image height in pixels (a multiple of 8; any size for PixArt-α with resolution binning).</summary>
    public int Height { get; init; } = 512;

    /// <summary>Images per prompt.</summary>
    public int BatchSize { get; init; } = 1;

    /// <summary>Scheduler name (<c>ddim|pndm|lms|euler|dpm++</c>), or null for the model's own configuration.</summary>
    public string? Scheduler { get; init; }

    /// <summary>DDIM's η (0 is deterministic DDIM).</summary>
    public float Eta { get; init; }

    /// <summary>Initial noise <c>[batch, 4, H/8, W/8]</c> to use instead of drawing it (scaled by the scheduler's initial sigma).</summary>
    public FloatTensor? InitialLatents { get; init; }

    /// <summary>An image <c>[1 or batch, 3, H, W]</c> in [−1, 1] to start from (image-to-image).</summary>
    public FloatTensor? InitImage { get; init; }

    /// <summary>How much of the image-to-image schedule to run (0 keeps the image, 1 ignores it).</summary>
    public float Strength { get; init; } = 0.8f;

    /// <summary>Ready embeddings to use instead of encoding the prompts (DATE and IPGO supply their own).</summary>
    public PromptEmbeddings? Embeddings { get; init; }

    /// <summary>
    /// PixArt-α only (Stable Diffusion ignores it): generate at the trained aspect-ratio bucket nearest to the requested
    /// size and resize the image back, as diffusers' <c>use_resolution_binning</c> (on by default, as there).
    /// </summary>
    public bool ResolutionBinning { get; init; } = true;

    /// <summary>Throws with a clear message when a setting is out of range.</summary>
    public void Validate()
    {
        if (Width < 8 || Height < 8 || Width % 8 != 0 || Height % 8 != 0)
        {
            throw new ArgumentException($"Width and height must be positive multiples of 8; got {Width}×{Height}.");
        }

        ValidateSettings();
    }

    /// <summary>Every check but the size's (pipelines that map sizes to buckets check it themselves).</summary>
    internal void ValidateSettings()
    {
        if (Steps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(Steps), Steps, "Sampling needs at least one step.");
        }

        if (BatchSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "The batch size must be at least 1.");
        }

        if (!float.IsFinite(GuidanceScale) || GuidanceScale < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(GuidanceScale), GuidanceScale, "The guidance scale must be a finite number ≥ 0.");
        }

        if (InitImage is not null && (Strength < 0 || Strength > 1 || !float.IsFinite(Strength)))
        {
            throw new ArgumentOutOfRangeException(nameof(Strength), Strength, "Strength must be in [0, 1].");
        }

        if (Eta < 0 || !float.IsFinite(Eta))
        {
            throw new ArgumentOutOfRangeException(nameof(Eta), Eta, "η must be a finite number ≥ 0.");
        }

        if (InitialLatents is not null && InitImage is not null)
        {
            throw new ArgumentException("Give either initial latents or an init image, not both.");
        }
    }
}
