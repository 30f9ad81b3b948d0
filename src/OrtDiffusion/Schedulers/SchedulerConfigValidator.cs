namespace OrtDiffusion.Schedulers;

/// <summary>Range and combination checks of a <see cref="SchedulerConfig"/> for one scheduler class.</summary>
internal static class SchedulerConfigValidator
{
    // Which unsupported settings matter to which class (the classes that have the key in diffusers).
    private static readonly Dictionary<string, SchedulerKind[]> UnsupportedKeyUsers = new()
    {
        ["use_exponential_sigmas"] = [SchedulerKind.Lms, SchedulerKind.Euler, SchedulerKind.DpmSolverMultistep],
        ["use_beta_sigmas"] = [SchedulerKind.Lms, SchedulerKind.Euler, SchedulerKind.DpmSolverMultistep],
        ["use_lu_lambdas"] = [SchedulerKind.DpmSolverMultistep],
        ["use_flow_sigmas"] = [SchedulerKind.DpmSolverMultistep],
        ["use_dynamic_shifting"] = [SchedulerKind.DpmSolverMultistep],
        ["timestep_type"] = [SchedulerKind.Euler],
        ["algorithm_type"] = [SchedulerKind.DpmSolverMultistep],
        ["prediction_type"] = [SchedulerKind.Ddim, SchedulerKind.Pndm, SchedulerKind.Lms, SchedulerKind.Euler, SchedulerKind.DpmSolverMultistep],
    };

    public static void Validate(SchedulerConfig c, SchedulerKind kind)
    {
        void Fail(string key, string problem) => throw new SchedulerConfigException(key, c.Source, problem);

        foreach (var (key, value) in c.UnsupportedSettings)
        {
            if (UnsupportedKeyUsers.TryGetValue(key, out var users) && users.Contains(kind))
            {
                Fail(key, $"the value {value} is not supported by OrtDiffusion's {kind} scheduler.");
            }
        }

        if (c.NumTrainTimesteps < 2)
        {
            Fail("num_train_timesteps", $"must be at least 2, got {c.NumTrainTimesteps}.");
        }

        if (c.TrainedBetas is { } tb)
        {
            if (tb.Count != c.NumTrainTimesteps)
            {
                Fail("trained_betas", $"has {tb.Count} values but num_train_timesteps is {c.NumTrainTimesteps}.");
            }

            for (var i = 0; i < tb.Count; i++)
            {
                if (!(tb[i] >= 0f && tb[i] < 1f))
                {
                    Fail("trained_betas", $"value {tb[i]} at index {i} is outside [0, 1).");
                }
            }
        }
        else if (c.BetaSchedule != BetaSchedule.SquaredCosCapV2)
        {
            if (!(c.BetaStart >= 0 && c.BetaStart < 1))
            {
                Fail("beta_start", $"must be in [0, 1), got {c.BetaStart}.");
            }

            if (!(c.BetaEnd > 0 && c.BetaEnd < 1))
            {
                Fail("beta_end", $"must be in (0, 1), got {c.BetaEnd}.");
            }
        }

        if (c.StepsOffset < 0 || c.StepsOffset >= c.NumTrainTimesteps)
        {
            Fail("steps_offset", $"must be in [0, num_train_timesteps), got {c.StepsOffset}.");
        }

        if (!(c.ClipSampleRange > 0))
        {
            Fail("clip_sample_range", $"must be positive, got {c.ClipSampleRange}.");
        }

        if (!(c.DynamicThresholdingRatio > 0 && c.DynamicThresholdingRatio <= 1))
        {
            Fail("dynamic_thresholding_ratio", $"must be in (0, 1], got {c.DynamicThresholdingRatio}.");
        }

        if (!(c.SampleMaxValue > 0))
        {
            Fail("sample_max_value", $"must be positive, got {c.SampleMaxValue}.");
        }

        if (c.SigmaMin is { } smin && !(smin > 0))
        {
            Fail("sigma_min", $"must be positive, got {smin}.");
        }

        if (c.SigmaMax is { } smax && !(smax > 0))
        {
            Fail("sigma_max", $"must be positive, got {smax}.");
        }

        switch (kind)
        {
            case SchedulerKind.Pndm when c.PredictionType == PredictionType.Sample:
                Fail("prediction_type", "PNDM supports \"epsilon\" and \"v_prediction\" only.");
                break;
            case SchedulerKind.Euler when c.InterpolationType == InterpolationType.LogLinear:
                Fail("interpolation_type", "\"log_linear\" is not supported: diffusers builds steps + 2 ascending sigmas for it, "
                    + "which does not denoise; use \"linear\".");
                break;
            case SchedulerKind.DpmSolverMultistep:
                if (c.SolverOrder is < 1 or > 3)
                {
                    Fail("solver_order", $"must be 1, 2 or 3, got {c.SolverOrder}.");
                }

                if (double.IsNaN(c.LambdaMinClipped))
                {
                    Fail("lambda_min_clipped", "must be a number or -Infinity, got NaN.");
                }

                if (c.AlgorithmType == DpmAlgorithmType.DpmSolver && c.FinalSigmasType == FinalSigmasType.Zero)
                {
                    Fail("final_sigmas_type", "\"zero\" is not supported with algorithm_type \"dpmsolver\" (as in diffusers); "
                        + "use \"sigma_min\".");
                }

                break;
        }
    }
}
