namespace OrtDiffusion.Schedulers;

/// <summary>The integer timestep spacings of DDIM and PNDM (diffusers' set_timesteps of those classes).</summary>
internal static class IntegerTimesteps
{
    /// <summary>Ascending training timesteps for <paramref name="steps"/> inference steps.</summary>
    public static int[] Ascending(SchedulerConfig config, TimestepSpacing spacing, int steps)
    {
        var n = config.NumTrainTimesteps;
        var result = new int[steps];
        switch (spacing)
        {
            case TimestepSpacing.Linspace:
                var points = ArrayMath.Linspace(0, n - 1, steps);
                for (var i = 0; i < steps; i++)
                {
                    result[i] = (int)ArrayMath.RoundHalfEven(points[i]);
                }

                break;
            case TimestepSpacing.Leading:
                var ratio = n / steps;
                for (var i = 0; i < steps; i++)
                {
                    result[i] = i * ratio + config.StepsOffset;
                }

                break;
            default: // trailing: round(arange(N, 0, −N/steps)) − 1, reversed
                var down = ArrayMath.TrailingDescending(n, (double)n / steps, steps);
                for (var i = 0; i < steps; i++)
                {
                    result[i] = (int)down[steps - 1 - i];
                }

                break;
        }

        return result;
    }

    /// <summary>The same timesteps, noisiest first, as floats.</summary>
    public static float[] Descending(SchedulerConfig config, TimestepSpacing spacing, int steps)
    {
        var ascending = Ascending(config, spacing, steps);
        var result = new float[steps];
        for (var i = 0; i < steps; i++)
        {
            result[i] = ascending[steps - 1 - i];
        }

        return result;
    }
}
