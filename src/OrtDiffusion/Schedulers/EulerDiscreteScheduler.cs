namespace OrtDiffusion.Schedulers;

/// <summary>
/// Euler sampling in sigma (Karras et al. 2022, Algorithm 2 without the Heun correction), as
/// diffusers' <c>EulerDiscreteScheduler</c>, with optional "churn": noise that raises σ to
/// σ̂ = σ(1 + γ) before the step, γ = min(s_churn / steps, √2 − 1) where s_tmin ≤ σ ≤ s_tmax.
/// </summary>
/// <remarks>
/// As in diffusers, the model is evaluated at the un-churned sample (its input scaled with σ),
/// and v-prediction converts with σ rather than σ̂.
/// </remarks>
public sealed class EulerDiscreteScheduler : SchedulerBase
{
    private float[]? _churned;

    /// <summary>Creates the scheduler; call <see cref="SchedulerBase.SetTimesteps"/> before stepping.</summary>
    /// <exception cref="SchedulerConfigException">A config value Euler cannot use.</exception>
    public EulerDiscreteScheduler(SchedulerConfig config)
        : base(config, SchedulerKind.Euler)
    {
    }

    /// <inheritdoc/>
    public override SchedulerKind Kind => SchedulerKind.Euler;

    /// <inheritdoc/>
    public override float InitNoiseSigma => SigmaSchedule.InitNoiseSigma(Config, Kind, Sigmas);

    /// <summary>s_churn: total amount of churn over the run (0, the default, disables it). With churn each step draws noise from the <see cref="INoiseSource"/> passed to <see cref="SchedulerBase.Step"/>.</summary>
    public double SChurn { get; set => field = value >= 0 && double.IsFinite(value) ? value : throw Bad(nameof(SChurn), value); }

    /// <summary>s_tmin: churn only where σ ≥ this (default 0).</summary>
    public double STMin { get; set => field = !double.IsNaN(value) ? value : throw Bad(nameof(STMin), value); }

    /// <summary>s_tmax: churn only where σ ≤ this (default +∞).</summary>
    public double STMax { get; set => field = !double.IsNaN(value) ? value : throw Bad(nameof(STMax), value); } = double.PositiveInfinity;

    /// <summary>s_noise: scale of the churn noise (default 1).</summary>
    public double SNoise { get; set => field = double.IsFinite(value) ? value : throw Bad(nameof(SNoise), value); } = 1.0;

    private static ArgumentOutOfRangeException Bad(string name, double value) =>
        new(name, value, $"{name} must be a number{(name == nameof(SChurn) ? " ≥ 0" : "")}.");

    private protected override (float[] Timesteps, float[]? Sigmas) ComputeSchedule(int steps) =>
        SigmaSchedule.Compute(Config, Kind, Table, steps);

    private protected override void CopyRunStateFrom(SchedulerBase source) => _churned = null;

    private protected override float ModelInputDivisor(int stepIndex)
    {
        var sigma = SigmaArray[stepIndex];
        return MathF.Sqrt(sigma * sigma + 1f);
    }

    private protected override void StepCore(
        ReadOnlySpan<float> modelOutput,
        int stepIndex,
        ReadOnlySpan<float> sample,
        Span<float> prevSample,
        Span<float> x0,
        int batchSize,
        INoiseSource? noise)
    {
        var (sigma, sigmaHat, dt) = SigmasAt(stepIndex);
        var x = sample;
        if (sigmaHat > sigma)
        {
            // x̂ = x + s_noise·√(σ̂² − σ²)·z
            var churned = SpanMath.Ensure(ref _churned, sample.Length);
            RequireNoise(noise, stepIndex, "SChurn > 0").Fill(churned);
            SpanMath.AxpBy(sample, 1.0, churned, SNoise * Math.Sqrt(sigmaHat * sigmaHat - sigma * sigma), churned);
            x = churned;
        }

        var c = SigmaStepCoefficients.For(Config.PredictionType, sigma, sigmaHat);
        SpanMath.AxpBy(modelOutput, c.X0FromModel, x, c.X0FromSample, x0);

        // prev = x̂ + d·(σ_next − σ̂)
        SpanMath.AxpBy(x, 1 + dt * c.DerivativeFromSample, modelOutput, dt * c.DerivativeFromModel, prevSample);
    }

    private protected override StepDerivatives DerivativesCore(int stepIndex)
    {
        var (sigma, sigmaHat, dt) = SigmasAt(stepIndex);
        var c = SigmaStepCoefficients.For(Config.PredictionType, sigma, sigmaHat);
        return new StepDerivatives(
            PrevWrtModelOutput: dt * c.DerivativeFromModel,
            PrevWrtSample: 1 + dt * c.DerivativeFromSample,
            OriginalWrtModelOutput: c.X0FromModel,
            OriginalWrtSample: c.X0FromSample);
    }

    private protected override (double Signal, double Noise) NoiseCoefficients(int stepIndex) => (1.0, SigmaArray[stepIndex]);

    /// <summary>σ, the churned σ̂, and the step σ_next − σ̂.</summary>
    private (double Sigma, double SigmaHat, double Dt) SigmasAt(int stepIndex)
    {
        double sigma = SigmaArray[stepIndex];
        var gamma = STMin <= sigma && sigma <= STMax
            ? Math.Min(SChurn / (SigmaArray.Length - 1), Math.Sqrt(2) - 1)
            : 0.0;
        var sigmaHat = sigma * (gamma + 1);
        return (sigma, sigmaHat, SigmaArray[stepIndex + 1] - sigmaHat);
    }
}
