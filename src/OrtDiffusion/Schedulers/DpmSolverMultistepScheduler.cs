namespace OrtDiffusion.Schedulers;

/// <summary>
/// Multistep DPM-Solver and DPM-Solver++ (Lu et al. 2022), orders 1–3, midpoint or Heun
/// second-order updates, as diffusers' <c>DPMSolverMultistepScheduler</c> (PixArt-α's sampler).
/// </summary>
/// <remarks>
/// The first step of a run is first order and the order then grows by one per step up to
/// <c>solver_order</c>. With fewer than 15 timesteps and <c>lower_order_final</c> the last two
/// steps drop to orders 1 and 2; the last step is first order as well with
/// <c>euler_at_final</c> or <c>final_sigmas_type</c> "zero". <c>variance_type</c> is ignored:
/// for a model with learned variance (PixArt-α's 8 output channels) pass the ε half.
/// </remarks>
public sealed class DpmSolverMultistepScheduler : SchedulerBase
{
    private const int MaxOrder = 3;

    private float[][] _outputs = [];   // ring of converted outputs (x̄₀ or ε) of the last 3 steps
    private int _newest = -1;
    private float[]? _scratch;

    /// <summary>Creates the scheduler; call <see cref="SchedulerBase.SetTimesteps"/> before stepping.</summary>
    /// <exception cref="SchedulerConfigException">A config value DPM-Solver cannot use.</exception>
    public DpmSolverMultistepScheduler(SchedulerConfig config)
        : base(config, SchedulerKind.DpmSolverMultistep)
    {
    }

    /// <inheritdoc/>
    public override SchedulerKind Kind => SchedulerKind.DpmSolverMultistep;

    /// <inheritdoc/>
    public override float InitNoiseSigma => 1f;

    private bool DataPrediction => Config.AlgorithmType == DpmAlgorithmType.DpmSolverPlusPlus;

    private protected override string? NonAffineReason =>
        Config.Thresholding ? "dynamic thresholding (thresholding = true)" : null;

    /// <summary>The order the step at <paramref name="stepIndex"/> uses, given the run so far.</summary>
    internal int OrderAt(int stepIndex)
    {
        var n = TimestepArray.Length;
        var warm = Math.Min(StepsTaken, Config.SolverOrder); // diffusers' lower_order_nums
        var lowerFinal = stepIndex == n - 1
            && (Config.EulerAtFinal || (Config.LowerOrderFinal && n < 15) || Config.FinalSigmasType == FinalSigmasType.Zero);
        var lowerSecond = stepIndex == n - 2 && Config.LowerOrderFinal && n < 15;
        if (Config.SolverOrder == 1 || warm < 1 || lowerFinal)
        {
            return 1;
        }

        return Config.SolverOrder == 2 || warm < 2 || lowerSecond ? 2 : 3;
    }

    private protected override (float[] Timesteps, float[]? Sigmas) ComputeSchedule(int steps) =>
        DpmSolverSchedule.Compute(Config, Table, steps);

    private protected override void ResetRun() => _newest = -1;

    private protected override void CopyRunStateFrom(SchedulerBase source)
    {
        _outputs = [.. _outputs.Select(o => (float[])o.Clone())];
        _scratch = null;
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
        var length = sample.Length;
        if (_outputs.Length == 0 || _outputs[0].Length != length)
        {
            _outputs = [new float[length], new float[length], new float[length]];
        }

        var slot = (_newest + 1) % MaxOrder;
        var q = _outputs[slot].AsSpan();
        var (alpha, sigmaVp) = SigmaMath.AlphaSigma(SigmaArray[stepIndex]);
        var (dataM, dataS, noiseM, noiseS) = ConversionAt(alpha, sigmaVp);

        SpanMath.AxpBy(modelOutput, dataM, sample, dataS, x0);
        if (Config.Thresholding)
        {
            Thresholding.Dynamic(x0, batchSize, Config.DynamicThresholdingRatio, Config.SampleMaxValue,
                SpanMath.Ensure(ref _scratch, length));
        }

        if (DataPrediction)
        {
            x0.CopyTo(q);
        }
        else if (Config.Thresholding)
        {
            // ε re-derived from the thresholded x̄₀: ε = (x − α x̄₀)/σ.
            SpanMath.AxpBy(sample, 1 / sigmaVp, x0, -alpha / sigmaVp, q);
        }
        else
        {
            SpanMath.AxpBy(modelOutput, noiseM, sample, noiseS, q);
        }

        var c = CoefficientsAt(stepIndex);
        _newest = slot;
        SpanMath.AxpBy(sample, c.Sample, q, c.Current, prevSample);
        SpanMath.AddScaled(prevSample, _outputs[(slot + MaxOrder - 1) % MaxOrder], c.Previous);
        SpanMath.AddScaled(prevSample, _outputs[(slot + MaxOrder - 2) % MaxOrder], c.Earlier);
    }

    private protected override StepDerivatives DerivativesCore(int stepIndex)
    {
        var (alpha, sigmaVp) = SigmaMath.AlphaSigma(SigmaArray[stepIndex]);
        var (dataM, dataS, noiseM, noiseS) = ConversionAt(alpha, sigmaVp);
        var (qm, qs) = DataPrediction ? (dataM, dataS) : (noiseM, noiseS);
        var c = CoefficientsAt(stepIndex);
        return new StepDerivatives(
            PrevWrtModelOutput: c.Current * qm,
            PrevWrtSample: c.Sample + c.Current * qs,
            OriginalWrtModelOutput: dataM,
            OriginalWrtSample: dataS);
    }

    // prev_i = Sample·x_i + Current·Q_i + Previous·Q_{i−1} + Earlier·Q_{i−2}, with the stored Q_j = qm_j·m_j + qs_j·x_j.
    private protected override IReadOnlyList<HistoryDerivative> HistoryCore(int stepIndex)
    {
        var order = OrderAt(stepIndex);
        if (order < 2)
        {
            return [];
        }

        var c = CoefficientsAt(stepIndex);
        var history = new List<HistoryDerivative>(2);
        if (order == 3)
        {
            history.Add(Through(stepIndex - 2, c.Earlier));
        }

        history.Add(Through(stepIndex - 1, c.Previous));
        return history;
    }

    private HistoryDerivative Through(int step, double weight)
    {
        var (alpha, sigmaVp) = SigmaMath.AlphaSigma(SigmaArray[step]);
        var (dataM, dataS, noiseM, noiseS) = ConversionAt(alpha, sigmaVp);
        var (qm, qs) = DataPrediction ? (dataM, dataS) : (noiseM, noiseS);
        return new HistoryDerivative(step, weight * qm, weight * qs);
    }

    private protected override (double Signal, double Noise) NoiseCoefficients(int stepIndex) =>
        SigmaMath.AlphaSigma(SigmaArray[stepIndex]);

    /// <summary>x̄₀ = dataM·m + dataS·x and ε = noiseM·m + noiseS·x for the model's prediction type.</summary>
    private (double DataM, double DataS, double NoiseM, double NoiseS) ConversionAt(double alpha, double sigmaVp) =>
        Config.PredictionType switch
        {
            PredictionType.Epsilon => (-sigmaVp / alpha, 1 / alpha, 1, 0),
            PredictionType.Sample => (1, 0, -alpha / sigmaVp, 1 / sigmaVp),
            _ => (-sigmaVp, alpha, alpha, sigmaVp), // v-prediction
        };

    private DpmSolverCoefficients CoefficientsAt(int stepIndex)
    {
        var order = OrderAt(stepIndex);
        var s = SigmaArray;
        return DpmSolverCoefficients.For(
            order,
            DataPrediction,
            Config.SolverType,
            sigmaT: s[stepIndex + 1],
            sigmaS0: s[stepIndex],
            sigmaS1: order >= 2 ? s[stepIndex - 1] : double.NaN,
            sigmaS2: order >= 3 ? s[stepIndex - 2] : double.NaN);
    }
}
