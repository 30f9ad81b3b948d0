namespace OrtDiffusion.Schedulers;

/// <summary>
/// Linear multistep sampling in sigma, order 4 (Karras et al. 2022 / k-diffusion's
/// <c>sample_lms</c>), as diffusers' <c>LMSDiscreteScheduler</c>: the probability-flow ODE
/// <c>dx/dσ = (x − x̄₀)/σ</c> integrated with Adams-Bashforth weights for the uneven sigma grid.
/// </summary>
/// <remarks>
/// Like diffusers, the order of step i is <c>min(i + 1, 4)</c> counted from the start of the
/// schedule, also when an image-to-image run starts later and fewer derivatives are stored;
/// the stored ones are then used with the leading coefficients.
/// </remarks>
public sealed class LmsDiscreteScheduler : SchedulerBase
{
    private const int Order = LmsCoefficients.MaxOrder;

    private double[] _coefficients = [];
    private float[][] _derivatives = [];   // ring of dx/dσ at the last 4 steps
    private int _count;
    private int _newest = -1;

    /// <summary>Creates the scheduler; call <see cref="SchedulerBase.SetTimesteps"/> before stepping.</summary>
    /// <exception cref="SchedulerConfigException">A config value LMS cannot use.</exception>
    public LmsDiscreteScheduler(SchedulerConfig config)
        : base(config, SchedulerKind.Lms)
    {
    }

    /// <inheritdoc/>
    public override SchedulerKind Kind => SchedulerKind.Lms;

    /// <inheritdoc/>
    public override float InitNoiseSigma => SigmaSchedule.InitNoiseSigma(Config, Kind, Sigmas);

    private protected override (float[] Timesteps, float[]? Sigmas) ComputeSchedule(int steps)
    {
        var (timesteps, sigmas) = SigmaSchedule.Compute(Config, Kind, Table, steps);
        _coefficients = LmsCoefficients.Table(sigmas, steps);
        return (timesteps, sigmas);
    }

    private protected override void ResetRun()
    {
        _count = 0;
        _newest = -1;
    }

    private protected override void CopyRunStateFrom(SchedulerBase source) =>
        _derivatives = [.. _derivatives.Select(d => (float[])d.Clone())];

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
        if (_derivatives.Length == 0 || _derivatives[0].Length != sample.Length)
        {
            _derivatives = [new float[sample.Length], new float[sample.Length], new float[sample.Length], new float[sample.Length]];
        }

        var c = CoefficientsAt(stepIndex);
        SpanMath.AxpBy(modelOutput, c.X0FromModel, sample, c.X0FromSample, x0);

        _newest = (_newest + 1) % Order;
        _count = Math.Min(_count + 1, Order);
        SpanMath.AxpBy(modelOutput, c.DerivativeFromModel, sample, c.DerivativeFromSample, _derivatives[_newest]);

        // prev = x + Σ_k c_k d_{newest − k}; the order counts from the schedule's start (diffusers).
        var order = Math.Min(stepIndex + 1, Order);
        var terms = Math.Min(order, _count);
        SpanMath.AxpBy(sample, 1.0, _derivatives[_newest], _coefficients[stepIndex * Order], prevSample);
        for (var k = 1; k < terms; k++)
        {
            SpanMath.AddScaled(prevSample, _derivatives[(_newest - k + Order) % Order], _coefficients[stepIndex * Order + k]);
        }
    }

    private protected override StepDerivatives DerivativesCore(int stepIndex)
    {
        var c = CoefficientsAt(stepIndex);
        var lead = _coefficients[stepIndex * Order];
        return new StepDerivatives(
            PrevWrtModelOutput: lead * c.DerivativeFromModel,
            PrevWrtSample: 1 + lead * c.DerivativeFromSample,
            OriginalWrtModelOutput: c.X0FromModel,
            OriginalWrtSample: c.X0FromSample);
    }

    // prev_i = x_i + Σ_k c_{i,k} d_{i−k}, and the stored d_j = DerivativeFromModel_j·m_j + DerivativeFromSample_j·x_j.
    private protected override IReadOnlyList<HistoryDerivative> HistoryCore(int stepIndex)
    {
        var order = Math.Min(stepIndex + 1, Order);
        var terms = Math.Min(order, _count + 1);
        var history = new HistoryDerivative[terms - 1];
        for (var k = terms - 1; k >= 1; k--)
        {
            var j = stepIndex - k;
            var weight = _coefficients[stepIndex * Order + k];
            var c = CoefficientsAt(j);
            history[terms - 1 - k] = new HistoryDerivative(j, weight * c.DerivativeFromModel, weight * c.DerivativeFromSample);
        }

        return history;
    }

    private protected override (double Signal, double Noise) NoiseCoefficients(int stepIndex) => (1.0, SigmaArray[stepIndex]);

    /// <summary>x̄₀ and dx/dσ = (x − x̄₀)/σ as combinations of the model output and the sample.</summary>
    private SigmaStepCoefficients CoefficientsAt(int stepIndex) =>
        SigmaStepCoefficients.For(Config.PredictionType, SigmaArray[stepIndex], SigmaArray[stepIndex]);
}
