using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;

namespace OrtDiffusion.Evaluation;

/// <summary>Everything an evaluation run needs: model, prompts, methods, seeds, metrics, sampling settings, shard and output folder.</summary>
public sealed record EvaluationSettings
{
    /// <summary>The model folder (opened through <see cref="EvaluationBackbone"/>).</summary>
    public required string ModelFolder { get; init; }

    /// <summary>The prompts, numbered from 0 in this order.</summary>
    public required IReadOnlyList<string> Prompts { get; init; }

    /// <summary>Where the prompts came from (recorded in <c>run.json</c>).</summary>
    public string? PromptSource { get; init; }

    /// <summary>The methods as <c>--method</c> gives them (<see cref="MethodSpec"/> texts).</summary>
    public required IReadOnlyList<string> Methods { get; init; }

    /// <summary>The seeds; every prompt is generated once per seed and method.</summary>
    public required IReadOnlyList<ulong> Seeds { get; init; }

    /// <summary>Reward folders used as metrics (independent of the rewards methods optimise).</summary>
    public IReadOnlyList<string> MetricRewards { get; init; } = [];

    /// <summary>The FID feature network's folder; null to skip FID.</summary>
    public string? FidModel { get; init; }

    /// <summary>The FID reference: an <c>.npz</c> with <c>mu</c> and <c>sigma</c>, or a folder of PNGs; null to write the statistics only (FID can be computed at merge time).</summary>
    public string? FidReference { get; init; }

    /// <summary>Sampling steps, or null for the backbone's default (<see cref="IDiffusionPipeline.DefaultRequest"/>: SD v1.5 50, PixArt-α 20).</summary>
    public int? Steps { get; init; }

    /// <summary>Classifier-free guidance scale, or null for the backbone's default (SD v1.5 7.5, PixArt-α 4.5).</summary>
    public float? GuidanceScale { get; init; }

    /// <summary>Scheduler name, or null for the model's own (PixArt-α's is DPM-Solver).</summary>
    public string? Scheduler { get; init; }

    /// <summary>Image width, or null for the backbone's default (SD v1.5 512, PixArt-α its native size).</summary>
    public int? Width { get; init; }

    /// <summary>Image height, or null for the backbone's default.</summary>
    public int? Height { get; init; }

    /// <summary>The negative prompt for every item.</summary>
    public string NegativePrompt { get; init; } = string.Empty;

    /// <summary>Where the networks run.</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;

    /// <summary>Which share of the work items this run does.</summary>
    public ShardSpec Shard { get; init; } = ShardSpec.Whole;

    /// <summary>The run's folder (created if missing; a rerun with the same settings resumes it).</summary>
    public required string OutputFolder { get; init; }

    /// <summary>Throws when a setting is missing or out of range, naming it.</summary>
    /// <exception cref="ArgumentException">A bad setting.</exception>
    public void Validate()
    {
        ArgumentException.ThrowIfNullOrEmpty(ModelFolder);
        ArgumentException.ThrowIfNullOrEmpty(OutputFolder);
        if (Prompts is null || Prompts.Count == 0)
        {
            throw new ArgumentException("The evaluation needs at least one prompt.");
        }

        if (Methods is null || Methods.Count == 0)
        {
            throw new ArgumentException("The evaluation needs at least one method (e.g. --method fixed).");
        }

        if (Seeds is null || Seeds.Count == 0 || Seeds.Distinct().Count() != Seeds.Count)
        {
            throw new ArgumentException("The evaluation needs at least one seed, each given once.");
        }

        if (FidReference is not null && FidModel is null)
        {
            throw new ArgumentException("An FID reference needs the FID model too (--fid-model DIR).");
        }

        // Check what was given; the backbone's defaults are valid by construction.
        var probe = new GenerationRequest();
        (probe with { Steps = Steps ?? probe.Steps, GuidanceScale = GuidanceScale ?? probe.GuidanceScale, Width = Width ?? probe.Width, Height = Height ?? probe.Height }).Validate();
    }

    /// <summary>
    /// The sampling settings every item starts from: <paramref name="pipeline"/>'s <see cref="IDiffusionPipeline.DefaultRequest"/>
    /// (which also carries backbone-only settings such as PixArt-α's resolution binning) with what these settings give,
    /// the negative prompt and batch 1.
    /// </summary>
    public GenerationRequest SamplingFor(IDiffusionPipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        var defaults = pipeline.DefaultRequest;
        return defaults with
        {
            Steps = Steps ?? defaults.Steps,
            GuidanceScale = GuidanceScale ?? defaults.GuidanceScale,
            Scheduler = Scheduler ?? defaults.Scheduler,
            Width = Width ?? defaults.Width,
            Height = Height ?? defaults.Height,
            NegativePrompt = NegativePrompt,
            BatchSize = 1,
        };
    }
}
