namespace OrtDiffusion.Schedulers;

/// <summary>
/// A diffusers scheduler config (<c>scheduler/scheduler_config.json</c>), read as-is.
/// </summary>
/// <remarks>
/// Keys missing from the file take the diffusers default of the scheduler class that is
/// finally built. Most defaults are shared by all five classes and are the property
/// initialisers below; the three that differ by class are nullable here and resolved by the
/// scheduler: <see cref="TimestepSpacing"/> (DDIM and PNDM "leading"; LMS, Euler and
/// DPM-Solver "linspace"), <see cref="SetAlphaToOne"/> (DDIM true, PNDM false) and
/// <see cref="ClipSample"/> (DDIM true). Settings a class does not have are ignored by it,
/// as diffusers' <c>from_config</c> does.
/// </remarks>
public sealed record SchedulerConfig
{
    /// <summary>
    /// Stable Diffusion v1.5's config (<c>runwayml/stable-diffusion-v1-5</c>): a PNDM scheduler
    /// with scaled-linear betas 0.00085 → 0.012, 1000 training steps, <c>steps_offset</c> 1,
    /// <c>skip_prk_steps</c>, no <c>set_alpha_to_one</c>, no <c>clip_sample</c>.
    /// </summary>
    public static SchedulerConfig StableDiffusion15 { get; } = new()
    {
        ClassName = "PNDMScheduler",
        BetaStart = 0.00085,
        BetaEnd = 0.012,
        BetaSchedule = BetaSchedule.ScaledLinear,
        NumTrainTimesteps = 1000,
        SetAlphaToOne = false,
        SkipPrkSteps = true,
        StepsOffset = 1,
        ClipSample = false,
    };

    /// <summary>
    /// PixArt-α's sampler: DPM-Solver++ multistep with diffusers' defaults (linear betas
    /// 1e-4 → 0.02, order 2, midpoint, linspace spacing, lower-order final steps).
    /// </summary>
    public static SchedulerConfig PixArtAlpha { get; } = new() { ClassName = "DPMSolverMultistepScheduler" };

    /// <summary>Reads a <c>scheduler_config.json</c> file.</summary>
    /// <param name="path">The file; its path appears in every error message.</param>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="SchedulerConfigException">A value has the wrong type or is not allowed.</exception>
    public static SchedulerConfig Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Scheduler config not found: '{path}'.", path);
        }

        return SchedulerConfigReader.Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses the text of a scheduler config.</summary>
    /// <param name="json">The JSON text. Python's bare <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c> are accepted.</param>
    /// <param name="source">Where the text came from, for error messages (may be null).</param>
    /// <exception cref="SchedulerConfigException">A value has the wrong type or is not allowed.</exception>
    public static SchedulerConfig Parse(string json, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        return SchedulerConfigReader.Parse(json, source);
    }

    /// <summary>Where this config came from (a file path), used in error messages; null when built in code.</summary>
    public string? Source { get; init; }

    /// <summary><c>_class_name</c>: the diffusers scheduler class the config was written for, e.g. <c>PNDMScheduler</c>.</summary>
    public string? ClassName { get; init; }

    /// <summary><c>num_train_timesteps</c>: length of the training noise schedule (default 1000).</summary>
    public int NumTrainTimesteps { get; init; } = 1000;

    /// <summary><c>beta_start</c> (default 0.0001).</summary>
    public double BetaStart { get; init; } = 0.0001;

    /// <summary><c>beta_end</c> (default 0.02).</summary>
    public double BetaEnd { get; init; } = 0.02;

    /// <summary><c>beta_schedule</c> (default linear).</summary>
    public BetaSchedule BetaSchedule { get; init; } = BetaSchedule.Linear;

    /// <summary><c>trained_betas</c>: explicit betas, one per training step; overrides the schedule when set.</summary>
    public IReadOnlyList<float>? TrainedBetas { get; init; }

    /// <summary><c>prediction_type</c> (default epsilon).</summary>
    public PredictionType PredictionType { get; init; } = PredictionType.Epsilon;

    /// <summary><c>timestep_spacing</c>; null means the scheduler class's own default.</summary>
    public TimestepSpacing? TimestepSpacing { get; init; }

    /// <summary><c>steps_offset</c>: added to "leading" timesteps (default 0; Stable Diffusion uses 1).</summary>
    public int StepsOffset { get; init; }

    /// <summary><c>set_alpha_to_one</c> (DDIM, PNDM): ᾱ after the last step is 1 rather than ᾱ₀; null means the class default.</summary>
    public bool? SetAlphaToOne { get; init; }

    /// <summary><c>clip_sample</c> (DDIM): clamp x̄₀ to ±<see cref="ClipSampleRange"/>; null means the class default (true).</summary>
    public bool? ClipSample { get; init; }

    /// <summary><c>clip_sample_range</c> (default 1).</summary>
    public double ClipSampleRange { get; init; } = 1.0;

    /// <summary><c>thresholding</c> (DDIM, DPM-Solver): dynamic thresholding of x̄₀ per sample (default false).</summary>
    public bool Thresholding { get; init; }

    /// <summary><c>dynamic_thresholding_ratio</c>: the quantile of |x̄₀| used as threshold (default 0.995).</summary>
    public double DynamicThresholdingRatio { get; init; } = 0.995;

    /// <summary><c>sample_max_value</c>: the largest threshold (default 1).</summary>
    public double SampleMaxValue { get; init; } = 1.0;

    /// <summary><c>use_karras_sigmas</c> (LMS, Euler, DPM-Solver): Karras et al.'s ρ = 7 sigma spacing (default false).</summary>
    public bool UseKarrasSigmas { get; init; }

    /// <summary><c>sigma_min</c> (Euler, Karras sigmas only): overrides the smallest sigma; null to take it from the schedule.</summary>
    public double? SigmaMin { get; init; }

    /// <summary><c>sigma_max</c> (Euler, Karras sigmas only): overrides the largest sigma; null to take it from the schedule.</summary>
    public double? SigmaMax { get; init; }

    /// <summary><c>skip_prk_steps</c> (PNDM): PLMS only, without the Runge-Kutta warm-up (default false).</summary>
    public bool SkipPrkSteps { get; init; }

    /// <summary><c>solver_order</c> (DPM-Solver): 1, 2 or 3 (default 2).</summary>
    public int SolverOrder { get; init; } = 2;

    /// <summary><c>algorithm_type</c> (DPM-Solver; default dpmsolver++).</summary>
    public DpmAlgorithmType AlgorithmType { get; init; } = DpmAlgorithmType.DpmSolverPlusPlus;

    /// <summary><c>solver_type</c> (DPM-Solver; default midpoint).</summary>
    public DpmSolverType SolverType { get; init; } = DpmSolverType.Midpoint;

    /// <summary><c>lower_order_final</c> (DPM-Solver): lower orders for the last steps when there are fewer than 15 (default true).</summary>
    public bool LowerOrderFinal { get; init; } = true;

    /// <summary><c>euler_at_final</c> (DPM-Solver): first order for the very last step (default false).</summary>
    public bool EulerAtFinal { get; init; }

    /// <summary><c>final_sigmas_type</c> (Euler, DPM-Solver; default zero).</summary>
    public FinalSigmasType FinalSigmasType { get; init; } = FinalSigmasType.Zero;

    /// <summary><c>lambda_min_clipped</c> (DPM-Solver): drops the noisiest training steps whose log-SNR/2 is below it (default −∞).</summary>
    public double LambdaMinClipped { get; init; } = double.NegativeInfinity;

    /// <summary><c>interpolation_type</c> (Euler; default linear).</summary>
    public InterpolationType InterpolationType { get; init; } = InterpolationType.Linear;

    /// <summary><c>rescale_betas_zero_snr</c> (DDIM, Euler, DPM-Solver): rescale betas to zero terminal SNR (default false).</summary>
    public bool RescaleBetasZeroSnr { get; init; }

    /// <summary>
    /// Settings read from the file that change the algorithm in ways OrtDiffusion does not
    /// implement (e.g. <c>use_exponential_sigmas</c>), key → value as written. A scheduler
    /// that would use one of them refuses the config.
    /// </summary>
    internal IReadOnlyDictionary<string, string> UnsupportedSettings { get; init; } = SchedulerConfigReader.NoSettings;

    /// <summary>The timestep spacing in effect for <paramref name="kind"/>.</summary>
    public TimestepSpacing TimestepSpacingFor(SchedulerKind kind) =>
        TimestepSpacing ?? (kind is SchedulerKind.Ddim or SchedulerKind.Pndm
            ? Schedulers.TimestepSpacing.Leading
            : Schedulers.TimestepSpacing.Linspace);

    /// <summary>The <c>set_alpha_to_one</c> in effect for <paramref name="kind"/> (DDIM defaults to true, PNDM to false).</summary>
    public bool SetAlphaToOneFor(SchedulerKind kind) => SetAlphaToOne ?? kind == SchedulerKind.Ddim;

    /// <summary>The <c>clip_sample</c> in effect for DDIM (defaults to true; other classes have no clipping).</summary>
    public bool ClipSampleFor(SchedulerKind kind) => kind == SchedulerKind.Ddim && (ClipSample ?? true);

    /// <summary>Throws <see cref="SchedulerConfigException"/> naming the first key whose value <paramref name="kind"/> cannot use.</summary>
    internal void Validate(SchedulerKind kind) => SchedulerConfigValidator.Validate(this, kind);
}
