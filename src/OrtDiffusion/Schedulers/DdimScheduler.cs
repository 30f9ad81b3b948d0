namespace OrtDiffusion.Schedulers;

/// <summary>
/// DDIM (Song, Meng and Ermon 2020), as diffusers' <c>DDIMScheduler</c>: integer timesteps,
/// the step from t to <c>t − N/steps</c> through the predicted x̄₀, with optional stochasticity
/// η, clip_sample and dynamic thresholding.
/// </summary>
public sealed class DdimScheduler : SchedulerBase
{
    private float[]? _scratch;

    /// <summary>Creates the scheduler; call <see cref="SchedulerBase.SetTimesteps"/> before stepping.</summary>
    /// <exception cref="SchedulerConfigException">A config value DDIM cannot use.</exception>
    public DdimScheduler(SchedulerConfig config)
        : base(config, SchedulerKind.Ddim)
    {
        Spacing = config.TimestepSpacingFor(SchedulerKind.Ddim);
        Clip = config.ClipSampleFor(SchedulerKind.Ddim);
        FinalAlphaCumprod = config.SetAlphaToOneFor(SchedulerKind.Ddim) ? 1f : Table.AlphasCumprod[0];
    }

    /// <inheritdoc/>
    public override SchedulerKind Kind => SchedulerKind.Ddim;

    /// <inheritdoc/>
    public override float InitNoiseSigma => 1f;

    /// <summary>
    /// η: 0 is deterministic DDIM, 1 is DDPM-like. With η &gt; 0 each step draws noise from the
    /// <see cref="INoiseSource"/> passed to <see cref="SchedulerBase.Step"/>.
    /// </summary>
    public double Eta
    {
        get;
        set => field = value >= 0 && double.IsFinite(value)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Eta), value, "η must be a finite number ≥ 0.");
    }

    /// <summary>
    /// diffusers' <c>use_clipped_model_output</c>: re-derive ε from the clipped/thresholded x̄₀
    /// (no effect without clipping or thresholding).
    /// </summary>
    public bool UseClippedModelOutput { get; set; }

    /// <summary>ᾱ used after the last step (1 with set_alpha_to_one, else ᾱ₀).</summary>
    internal float FinalAlphaCumprod { get; }

    private TimestepSpacing Spacing { get; }

    private bool Clip { get; }

    private protected override string? NonAffineReason =>
        Config.Thresholding ? "dynamic thresholding (thresholding = true)"
        : Clip ? "clip_sample = true"
        : null;

    private protected override (float[] Timesteps, float[]? Sigmas) ComputeSchedule(int steps) =>
        (IntegerTimesteps.Descending(Config, Spacing, steps), null);

    private protected override void CopyRunStateFrom(SchedulerBase source) => _scratch = null;

    private protected override void StepCore(
        ReadOnlySpan<float> modelOutput,
        int stepIndex,
        ReadOnlySpan<float> sample,
        Span<float> prevSample,
        Span<float> x0,
        int batchSize,
        INoiseSource? noise)
    {
        var c = CoefficientsAt(stepIndex);

        // x̄₀ and ε as combinations of the model output and the sample.
        SpanMath.AxpBy(modelOutput, c.X0FromModel, sample, c.X0FromSample, x0);
        var bounded = Config.Thresholding || Clip;
        if (Config.Thresholding)
        {
            Thresholding.Dynamic(x0, batchSize, Config.DynamicThresholdingRatio, Config.SampleMaxValue, Scratch(x0.Length));
        }
        else if (Clip)
        {
            Thresholding.Clip(x0, Config.ClipSampleRange);
        }

        if (UseClippedModelOutput && bounded)
        {
            // ε = (x − √ᾱ_t x̄₀)/√(1−ᾱ_t), so prev = (√ᾱ_prev − k√ᾱ_t/√(1−ᾱ_t)) x̄₀ + (k/√(1−ᾱ_t)) x.
            SpanMath.AxpBy(sample, c.Direction / c.SqrtBeta, x0, c.SqrtAlphaPrev - c.Direction * c.SqrtAlpha / c.SqrtBeta, prevSample);
        }
        else
        {
            SpanMath.AxpBy(modelOutput, c.Direction * c.EpsFromModel, sample, c.Direction * c.EpsFromSample, prevSample);
            SpanMath.AddScaled(prevSample, x0, c.SqrtAlphaPrev);
        }

        if (c.Std > 0)
        {
            var z = Scratch(x0.Length);
            RequireNoise(noise, stepIndex, "Eta > 0").Fill(z);
            SpanMath.AddScaled(prevSample, z, c.Std);
        }
    }

    private protected override StepDerivatives DerivativesCore(int stepIndex)
    {
        var c = CoefficientsAt(stepIndex);
        return new StepDerivatives(
            PrevWrtModelOutput: c.SqrtAlphaPrev * c.X0FromModel + c.Direction * c.EpsFromModel,
            PrevWrtSample: c.SqrtAlphaPrev * c.X0FromSample + c.Direction * c.EpsFromSample,
            OriginalWrtModelOutput: c.X0FromModel,
            OriginalWrtSample: c.X0FromSample);
    }

    private protected override (double Signal, double Noise) NoiseCoefficients(int stepIndex)
    {
        double alpha = Table.AlphasCumprod[(int)TimestepArray[stepIndex]];
        return (Math.Sqrt(alpha), Math.Sqrt(1 - alpha));
    }

    private float[] Scratch(int length) => SpanMath.Ensure(ref _scratch, length);

    /// <summary>The scalars of DDIM's eq. 12 at one step.</summary>
    private DdimCoefficients CoefficientsAt(int stepIndex)
    {
        var t = (int)TimestepArray[stepIndex];

        // diffusers steps back by N / steps whatever the spacing.
        var prevT = t - Config.NumTrainTimesteps / NumInferenceSteps;
        double alpha = Table.AlphasCumprod[t];
        double alphaPrev = prevT >= 0 ? Table.AlphasCumprod[prevT] : FinalAlphaCumprod;
        var sqrtAlpha = Math.Sqrt(alpha);
        var sqrtBeta = Math.Sqrt(1 - alpha);

        var (x0m, x0s, em, es) = Config.PredictionType switch
        {
            PredictionType.Epsilon => (-sqrtBeta / sqrtAlpha, 1 / sqrtAlpha, 1.0, 0.0),
            PredictionType.Sample => (1.0, 0.0, -sqrtAlpha / sqrtBeta, 1 / sqrtBeta),
            _ => (-sqrtBeta, sqrtAlpha, sqrtAlpha, sqrtBeta), // v-prediction
        };

        var variance = (1 - alphaPrev) / (1 - alpha) * (1 - alpha / alphaPrev);
        var std = Eta * Math.Sqrt(variance);
        return new DdimCoefficients(x0m, x0s, em, es, Math.Sqrt(alphaPrev), Math.Sqrt(1 - alphaPrev - std * std), std, sqrtAlpha, sqrtBeta);
    }
}

/// <summary>x̄₀ = X0FromModel·m + X0FromSample·x, ε likewise; prev = SqrtAlphaPrev·x̄₀ + Direction·ε + Std·z.</summary>
internal readonly record struct DdimCoefficients(
    double X0FromModel,
    double X0FromSample,
    double EpsFromModel,
    double EpsFromSample,
    double SqrtAlphaPrev,
    double Direction,
    double Std,
    double SqrtAlpha,
    double SqrtBeta);
