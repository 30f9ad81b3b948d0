namespace OrtDiffusion.Schedulers;

/// <summary>
/// PNDM (Liu et al. 2022, "Pseudo Numerical Methods for Diffusion Models"), as diffusers'
/// <c>PNDMScheduler</c>: a pseudo linear multistep (PLMS) method of order up to 4, started either
/// by three pseudo Runge-Kutta steps (12 model calls) or, with <c>skip_prk_steps</c> (Stable
/// Diffusion), by an Euler step and its Heun correction on a repeated timestep.
/// </summary>
/// <remarks>
/// <see cref="SchedulerBase.Timesteps"/> lists one entry per model call: steps + 1 with
/// <c>skip_prk_steps</c>, steps + 9 without. The x̄₀ written by <c>Step</c> (diffusers reports
/// none for PNDM) is the Tweedie estimate from the step's own sample and model output at its
/// own timestep.
/// </remarks>
public sealed class PndmScheduler : SchedulerBase
{
    private const int RungeKuttaCalls = 12;

    private float[][] _ets = [];   // ring of the last 4 model outputs kept for the multistep
    private int _etsCount;
    private int _etsNewest = -1;
    private float[]? _startSample; // the sample a multi-call step restarts from
    private float[]? _rkSum;       // running Runge-Kutta combination of model outputs
    private float[]? _combined;
    private int[] _etsSteps = new int[4]; // the step index each kept model output came from
    private int _startSampleStep = -1;    // the step whose sample _startSample holds

    /// <summary>Creates the scheduler; call <see cref="SchedulerBase.SetTimesteps"/> before stepping.</summary>
    /// <exception cref="SchedulerConfigException">A config value PNDM cannot use (e.g. prediction_type "sample").</exception>
    public PndmScheduler(SchedulerConfig config)
        : base(config, SchedulerKind.Pndm)
    {
        Spacing = config.TimestepSpacingFor(SchedulerKind.Pndm);
        FinalAlphaCumprod = config.SetAlphaToOneFor(SchedulerKind.Pndm) ? 1f : Table.AlphasCumprod[0];
    }

    /// <inheritdoc/>
    public override SchedulerKind Kind => SchedulerKind.Pndm;

    /// <inheritdoc/>
    public override float InitNoiseSigma => 1f;

    internal float FinalAlphaCumprod { get; }

    private TimestepSpacing Spacing { get; }

    private bool RungeKuttaWarmUp => !Config.SkipPrkSteps;

    private int StepRatio => Config.NumTrainTimesteps / NumInferenceSteps;

    /// <inheritdoc/>
    /// <exception cref="NotSupportedException">Without <c>skip_prk_steps</c> a run cannot start after step 0.</exception>
    public override int GetTimestepIndexForStrength(double strength)
    {
        var start = base.GetTimestepIndexForStrength(strength);
        if (start > 0 && RungeKuttaWarmUp)
        {
            throw RungeKuttaStartError(start);
        }

        return start;
    }

    private protected override (float[] Timesteps, float[]? Sigmas) ComputeSchedule(int steps)
    {
        var up = IntegerTimesteps.Ascending(Config, Spacing, steps);
        var list = new List<int>(steps + 9);
        if (!RungeKuttaWarmUp)
        {
            // PLMS only: the second timestep twice (Euler step, then its Heun correction).
            list.Add(up[^1]);
            if (steps >= 2)
            {
                list.Add(up[^2]);
            }

            for (var i = steps - 2; i >= 0; i--)
            {
                list.Add(up[i]);
            }
        }
        else
        {
            if (steps < 4)
            {
                throw new ArgumentOutOfRangeException(
                    nameof(steps), steps, "PNDM with its Runge-Kutta warm-up (skip_prk_steps = false) needs at least 4 steps.");
            }

            // Three RK4 steps over the top four timesteps; stages at t, t − h/2 (twice), t − h.
            var half = Config.NumTrainTimesteps / steps / 2;
            for (var j = 3; j >= 1; j--)
            {
                list.AddRange([up[^(4 - j)], up[^(5 - j)] + half, up[^(5 - j)] + half, up[^(5 - j)]]);
            }

            for (var i = steps - 4; i >= 0; i--)
            {
                list.Add(up[i]);
            }
        }

        return (list.Select(t => (float)t).ToArray(), null);
    }

    private protected override void ResetRun()
    {
        _etsCount = 0;
        _etsNewest = -1;
    }

    private protected override void CopyRunStateFrom(SchedulerBase source)
    {
        _ets = [.. _ets.Select(e => (float[])e.Clone())];
        _startSample = (float[]?)_startSample?.Clone();
        _rkSum = (float[]?)_rkSum?.Clone();
        _combined = null;
        _etsSteps = (int[])_etsSteps.Clone();
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
        if (RungeKuttaWarmUp && StepsTaken == 0 && stepIndex != 0)
        {
            throw RungeKuttaStartError(stepIndex);
        }

        EnsureBuffers(sample.Length);
        var plan = PlanAt(stepIndex);
        var (x0m, x0s) = TweedieAt((int)TimestepArray[stepIndex]);
        SpanMath.AxpBy(modelOutput, x0m, sample, x0s, x0);

        if (plan.StoresSample)
        {
            sample.CopyTo(_startSample);
            _startSampleStep = stepIndex;
        }

        if (plan.KeepsOutput)
        {
            _etsNewest = (_etsNewest + 1) % 4;
            _etsCount = Math.Min(_etsCount + 1, 4);
            modelOutput.CopyTo(_ets[_etsNewest]);
            _etsSteps[_etsNewest] = stepIndex;
        }

        var combined = CombineOutputs(plan, modelOutput);
        ReadOnlySpan<float> from = plan.FromStoredSample ? _startSample : sample;
        var (a, b) = TransferCoefficients(plan.FromT, plan.ToT);
        SpanMath.AxpBy(from, a, combined, b, prevSample);
    }

    private protected override StepDerivatives DerivativesCore(int stepIndex)
    {
        var plan = PlanAt(stepIndex);
        var (x0m, x0s) = TweedieAt((int)TimestepArray[stepIndex]);
        var (a, b) = TransferCoefficients(plan.FromT, plan.ToT);
        return new StepDerivatives(
            PrevWrtModelOutput: b * plan.CurrentWeight,
            PrevWrtSample: plan.FromStoredSample ? 0 : a,
            OriginalWrtModelOutput: x0m,
            OriginalWrtSample: x0s);
    }

    // prev = a·(x or the stored start sample) + b·(combination of the current and kept model outputs).
    private protected override IReadOnlyList<HistoryDerivative> HistoryCore(int stepIndex)
    {
        var plan = PlanAt(stepIndex);
        var (a, b) = TransferCoefficients(plan.FromT, plan.ToT);
        var terms = new SortedDictionary<int, (double M, double X)>();
        void Add(int step, double m, double x)
        {
            var (m0, x0) = terms.GetValueOrDefault(step);
            terms[step] = (m0 + m, x0 + x);
        }

        if (plan.FromStoredSample)
        {
            Add(_startSampleStep, 0, a);
        }

        switch (plan.Rule)
        {
            case Rule.RungeKuttaLast:
                // The RK sum holds stage 0 (weight 1/6) and stages 1 and 2 (1/3 each) of this group.
                Add(_startSampleStep, b / 6, 0);
                Add(_startSampleStep + 1, b / 3, 0);
                Add(_startSampleStep + 2, b / 3, 0);
                break;
            case Rule.HeunCorrection:
                Add(_etsSteps[_etsNewest], b / 2, 0);
                break;
            case Rule.Multistep:
                // Output(back) after this step's output is kept is the kept entry back − 1 before it.
                var kept = Math.Min(_etsCount + 1, 4);
                double[] weights = kept switch
                {
                    2 => [-1.0 / 2],
                    3 => [-16.0 / 12, 5.0 / 12],
                    4 => [-59.0 / 24, 37.0 / 24, -9.0 / 24],
                    _ => [],
                };
                for (var back = 1; back < kept; back++)
                {
                    Add(_etsSteps[(_etsNewest - back + 1 + 4) % 4], b * weights[back - 1], 0);
                }

                break;
        }

        return [.. terms.Select(t => new HistoryDerivative(t.Key, t.Value.M, t.Value.X))];
    }

    private protected override (double Signal, double Noise) NoiseCoefficients(int stepIndex)
    {
        double alpha = Table.AlphasCumprod[(int)TimestepArray[stepIndex]];
        return (Math.Sqrt(alpha), Math.Sqrt(1 - alpha));
    }

    private NotSupportedException RungeKuttaStartError(int start) => new(
        $"PNDM with its Runge-Kutta warm-up (skip_prk_steps = false) must start at step 0, not {start} "
        + "(diffusers would run the warm-up on the wrong timesteps); set skip_prk_steps for image-to-image.");

    private void EnsureBuffers(int length)
    {
        if (_ets.Length == 0 || _ets[0].Length != length)
        {
            _ets = [new float[length], new float[length], new float[length], new float[length]];
            _startSample = new float[length];
            _rkSum = new float[length];
            _combined = new float[length];
        }

        _combined ??= new float[length];
    }

    /// <summary>
    /// Writes the model-output combination the step uses (RK4 stage weights or the Adams-Bashforth
    /// weights 1; 3/2, −1/2; 23/12, −16/12, 5/12; 55/24, −59/24, 37/24, −9/24) and updates the RK sum.
    /// </summary>
    private ReadOnlySpan<float> CombineOutputs(StepPlan plan, ReadOnlySpan<float> m)
    {
        var c = _combined.AsSpan();
        switch (plan.Rule)
        {
            case Rule.RungeKuttaFirst:
                SpanMath.Scale(m, 1.0 / 6, _rkSum);
                return m;
            case Rule.RungeKuttaMiddle:
                SpanMath.AddScaled(_rkSum, m, 1.0 / 3);
                return m;
            case Rule.RungeKuttaLast:
                SpanMath.AxpBy(m, 1.0 / 6, _rkSum, 1.0, c);
                return c;
            case Rule.HeunCorrection:
                SpanMath.AxpBy(m, 0.5, Output(0), 0.5, c);
                return c;
            default:
                switch (_etsCount)
                {
                    case 1:
                        return m;
                    case 2:
                        SpanMath.AxpBy(Output(0), 3.0 / 2, Output(1), -1.0 / 2, c);
                        return c;
                    case 3:
                        SpanMath.AxpBy(Output(0), 23.0 / 12, Output(1), -16.0 / 12, c);
                        SpanMath.AddScaled(c, Output(2), 5.0 / 12);
                        return c;
                    default:
                        SpanMath.AxpBy(Output(0), 55.0 / 24, Output(1), -59.0 / 24, c);
                        SpanMath.AddScaled(c, Output(2), 37.0 / 24);
                        SpanMath.AddScaled(c, Output(3), -9.0 / 24);
                        return c;
                }
        }
    }

    /// <summary>The kept model output <paramref name="back"/> steps before the newest.</summary>
    private float[] Output(int back) => _ets[(_etsNewest - back + 4) % 4];

    /// <summary>How step <paramref name="stepIndex"/> of the current run is taken.</summary>
    private StepPlan PlanAt(int stepIndex)
    {
        var k = StepsTaken;
        var t = (int)TimestepArray[stepIndex];
        if (RungeKuttaWarmUp && k < RungeKuttaCalls)
        {
            var stage = k % 4;
            var halfStep = Config.NumTrainTimesteps / NumInferenceSteps / 2;
            var to = k % 2 == 1 ? t : t - halfStep;
            var from = (int)TimestepArray[k / 4 * 4];
            return stage switch
            {
                0 => new StepPlan(Rule.RungeKuttaFirst, from, to, StoresSample: true, FromStoredSample: false, KeepsOutput: true, CurrentWeight: 1),
                3 => new StepPlan(Rule.RungeKuttaLast, from, to, false, FromStoredSample: true, KeepsOutput: false, CurrentWeight: 1.0 / 6),
                _ => new StepPlan(Rule.RungeKuttaMiddle, from, to, false, FromStoredSample: true, KeepsOutput: false, CurrentWeight: 1),
            };
        }

        if (!RungeKuttaWarmUp && k == 1)
        {
            // Heun correction: redo the first step from its start with the mean of both outputs.
            return new StepPlan(Rule.HeunCorrection, t + StepRatio, t, false, FromStoredSample: true, KeepsOutput: false, CurrentWeight: 0.5);
        }

        var kept = Math.Min(_etsCount + 1, 4);
        var weight = kept switch { 1 => 1.0, 2 => 3.0 / 2, 3 => 23.0 / 12, _ => 55.0 / 24 };
        return new StepPlan(Rule.Multistep, t, t - StepRatio, StoresSample: k == 0, false, KeepsOutput: true, CurrentWeight: weight);
    }

    /// <summary>
    /// PNDM's transfer φ(x, ε, t → t′) (eq. 11), as <c>prev = a·x + b·(model output)</c>; for
    /// v-prediction the conversion ε = √ᾱ v + √(1−ᾱ) x is folded in.
    /// </summary>
    private (double A, double B) TransferCoefficients(int fromT, int toT)
    {
        double alpha = Table.AlphasCumprod[fromT];
        double alphaPrev = toT >= 0 ? Table.AlphasCumprod[toT] : FinalAlphaCumprod;
        var sampleCoeff = Math.Sqrt(alphaPrev / alpha);
        var denominator = alpha * Math.Sqrt(1 - alphaPrev) + Math.Sqrt(alpha * (1 - alpha) * alphaPrev);
        var epsCoeff = -(alphaPrev - alpha) / denominator;
        return Config.PredictionType == PredictionType.VPrediction
            ? (sampleCoeff + epsCoeff * Math.Sqrt(1 - alpha), epsCoeff * Math.Sqrt(alpha))
            : (sampleCoeff, epsCoeff);
    }

    /// <summary>x̄₀ = m·first + x·second at training timestep t.</summary>
    private (double FromModel, double FromSample) TweedieAt(int t)
    {
        double alpha = Table.AlphasCumprod[t];
        var sqrtAlpha = Math.Sqrt(alpha);
        var sqrtBeta = Math.Sqrt(1 - alpha);
        return Config.PredictionType == PredictionType.VPrediction
            ? (-sqrtBeta, sqrtAlpha)
            : (-sqrtBeta / sqrtAlpha, 1 / sqrtAlpha);
    }

    private enum Rule
    {
        RungeKuttaFirst,
        RungeKuttaMiddle,
        RungeKuttaLast,
        HeunCorrection,
        Multistep,
    }

    /// <summary>One step: the combination rule, the transfer's timesteps, and where the sample comes from.</summary>
    private readonly record struct StepPlan(
        Rule Rule,
        int FromT,
        int ToT,
        bool StoresSample,
        bool FromStoredSample,
        bool KeepsOutput,
        double CurrentWeight);
}
