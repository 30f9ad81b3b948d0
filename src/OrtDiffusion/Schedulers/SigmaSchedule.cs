namespace OrtDiffusion.Schedulers;

/// <summary>
/// The float timesteps and sigmas of the sigma-parameterised schedulers (LMS, Euler), as
/// diffusers' set_timesteps of those classes builds them.
/// </summary>
internal static class SigmaSchedule
{
    /// <summary>Timesteps (noisiest first) and <c>steps + 1</c> sigmas, the last one final.</summary>
    public static (float[] Timesteps, float[] Sigmas) Compute(
        SchedulerConfig config, SchedulerKind kind, NoiseSchedule table, int steps)
    {
        var n = config.NumTrainTimesteps;
        var timesteps = new float[steps];
        switch (config.TimestepSpacingFor(kind))
        {
            case TimestepSpacing.Linspace:
                var points = ArrayMath.Linspace(0, n - 1, steps);
                for (var i = 0; i < steps; i++)
                {
                    timesteps[i] = (float)points[steps - 1 - i];
                }

                break;
            case TimestepSpacing.Leading:
                var ratio = n / steps;
                for (var i = 0; i < steps; i++)
                {
                    timesteps[i] = (float)((steps - 1 - i) * ratio) + config.StepsOffset;
                }

                break;
            default:
                var down = ArrayMath.TrailingDescending(n, (double)n / steps, steps);
                for (var i = 0; i < steps; i++)
                {
                    timesteps[i] = (float)down[i];
                }

                break;
        }

        var sigmas = new double[steps];
        for (var i = 0; i < steps; i++)
        {
            sigmas[i] = ArrayMath.InterpUnitGrid(timesteps[i], table.Sigmas);
        }

        if (config.UseKarrasSigmas)
        {
            var sigmaMin = sigmas[^1];
            var sigmaMax = sigmas[0];
            if (kind == SchedulerKind.Euler)
            {
                sigmaMin = config.SigmaMin ?? sigmaMin;
                sigmaMax = config.SigmaMax ?? sigmaMax;
            }

            sigmas = SigmaMath.Karras(sigmaMax, sigmaMin, steps);
            for (var i = 0; i < steps; i++)
            {
                timesteps[i] = (float)SigmaMath.SigmaToTimestep(sigmas[i], table.LogSigmas);
            }
        }

        var final = kind == SchedulerKind.Euler && config.FinalSigmasType == FinalSigmasType.SigmaMin
            ? table.Sigmas[0]
            : 0f;
        var result = new float[steps + 1];
        for (var i = 0; i < steps; i++)
        {
            result[i] = (float)sigmas[i];
        }

        result[steps] = final;
        return (timesteps, result);
    }

    /// <summary>
    /// The initial noise scale: σ_max for "linspace" and "trailing" spacing, √(σ_max² + 1) for
    /// "leading" (whose first timestep is below the top of the table).
    /// </summary>
    public static float InitNoiseSigma(SchedulerConfig config, SchedulerKind kind, IReadOnlyList<float>? sigmas)
    {
        if (sigmas is null || sigmas.Count == 0)
        {
            return 1f;
        }

        var max = sigmas.Max();
        return config.TimestepSpacingFor(kind) == TimestepSpacing.Leading ? MathF.Sqrt(max * max + 1f) : max;
    }
}
