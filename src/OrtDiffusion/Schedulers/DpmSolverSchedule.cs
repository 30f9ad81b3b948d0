namespace OrtDiffusion.Schedulers;

/// <summary>DPM-Solver's timesteps and sigmas, as diffusers' <c>DPMSolverMultistepScheduler.set_timesteps</c> builds them.</summary>
internal static class DpmSolverSchedule
{
    public static (float[] Timesteps, float[] Sigmas) Compute(SchedulerConfig config, NoiseSchedule table, int steps)
    {
        var n = config.NumTrainTimesteps;
        var lastTimestep = n - ClippedCount(config, table);
        double[] timesteps;
        switch (config.TimestepSpacingFor(SchedulerKind.DpmSolverMultistep))
        {
            case TimestepSpacing.Linspace:
                // linspace(0, last − 1, steps + 1), rounded, noisiest first, without the final 0.
                var points = ArrayMath.Linspace(0, lastTimestep - 1, steps + 1);
                timesteps = new double[steps];
                for (var i = 0; i < steps; i++)
                {
                    timesteps[i] = ArrayMath.RoundHalfEven(points[steps - i]);
                }

                break;
            case TimestepSpacing.Leading:
                var ratio = lastTimestep / (steps + 1);
                timesteps = new double[steps];
                for (var i = 0; i < steps; i++)
                {
                    timesteps[i] = (steps - i) * ratio + config.StepsOffset;
                }

                break;
            default:
                // May give fewer than `steps` timesteps when lambda_min_clipped cuts the top; diffusers keeps them all.
                timesteps = ArrayMath.TrailingDescending(lastTimestep, (double)n / steps, steps);
                break;
        }

        double[] sigmas;
        if (config.UseKarrasSigmas)
        {
            sigmas = SigmaMath.Karras(table.Sigmas[^1], table.Sigmas[0], steps);
            timesteps = new double[steps];
            for (var i = 0; i < steps; i++)
            {
                var t = SigmaMath.SigmaToTimestep(sigmas[i], table.LogSigmas);

                // diffusers rounds, except for the cosine schedule, whose timesteps the int64 cast truncates.
                timesteps[i] = config.BetaSchedule == BetaSchedule.SquaredCosCapV2
                    ? Math.Truncate(t)
                    : ArrayMath.RoundHalfEven(t);
            }
        }
        else
        {
            sigmas = new double[timesteps.Length];
            for (var i = 0; i < sigmas.Length; i++)
            {
                sigmas[i] = ArrayMath.InterpUnitGrid(timesteps[i], table.Sigmas);
            }
        }

        var count = timesteps.Length;
        var resultTimesteps = new float[count];
        var resultSigmas = new float[count + 1];
        for (var i = 0; i < count; i++)
        {
            resultTimesteps[i] = (float)timesteps[i];
            resultSigmas[i] = (float)sigmas[i];
        }

        resultSigmas[count] = config.FinalSigmasType == FinalSigmasType.SigmaMin ? table.Sigmas[0] : 0f;
        return (resultTimesteps, resultSigmas);
    }

    /// <summary>How many of the noisiest training steps have λ = ln(α/σ) below lambda_min_clipped.</summary>
    private static int ClippedCount(SchedulerConfig config, NoiseSchedule table)
    {
        if (double.IsNegativeInfinity(config.LambdaMinClipped))
        {
            return 0;
        }

        var clipped = 0;
        foreach (var alphaBar in table.AlphasCumprod)
        {
            var lambda = MathF.Log(MathF.Sqrt(alphaBar)) - MathF.Log(MathF.Sqrt(1f - alphaBar));
            if (lambda < config.LambdaMinClipped)
            {
                clipped++;
            }
        }

        return clipped;
    }
}
