namespace OrtDiffusion.Schedulers;

/// <summary>
/// The training noise schedule: betas and their cumulative product ᾱ, in float32 as diffusers
/// holds them (torch float32 tensors; torch's CPU cumprod accumulates in double and rounds
/// each entry), plus the derived sigma table <c>σ(t) = √((1 − ᾱ)/ᾱ)</c>. Immutable; shared
/// between clones of a scheduler.
/// </summary>
internal sealed class NoiseSchedule
{
    private NoiseSchedule(float[] alphasCumprod)
    {
        AlphasCumprod = alphasCumprod;
        Sigmas = new float[alphasCumprod.Length];
        LogSigmas = new float[alphasCumprod.Length];
        for (var t = 0; t < alphasCumprod.Length; t++)
        {
            var a = alphasCumprod[t];
            Sigmas[t] = MathF.Sqrt((1f - a) / a);
            LogSigmas[t] = MathF.Log(Sigmas[t]);
        }
    }

    /// <summary>ᾱ_t for t = 0 … N−1.</summary>
    public float[] AlphasCumprod { get; }

    /// <summary>σ_t = √((1 − ᾱ_t)/ᾱ_t), float32 (increasing in t).</summary>
    public float[] Sigmas { get; }

    /// <summary>ln σ_t, float32.</summary>
    public float[] LogSigmas { get; }

    public int Length => AlphasCumprod.Length;

    /// <summary>Builds the schedule of <paramref name="config"/> as diffusers' <paramref name="kind"/> class does.</summary>
    public static NoiseSchedule Create(SchedulerConfig config, SchedulerKind kind)
    {
        var betas = Betas(config);

        // Only these classes take rescale_betas_zero_snr; the others ignore the key.
        var rescale = config.RescaleBetasZeroSnr
            && kind is SchedulerKind.Ddim or SchedulerKind.Euler or SchedulerKind.DpmSolverMultistep;
        if (rescale)
        {
            betas = RescaleZeroTerminalSnr(betas);
        }

        var alphasCumprod = CumulativeProduct(betas);
        if (rescale && kind is SchedulerKind.Euler or SchedulerKind.DpmSolverMultistep)
        {
            // diffusers keeps the last ᾱ off zero so that σ stays finite.
            alphasCumprod[^1] = MathF.Pow(2f, -24f);
        }

        return new NoiseSchedule(alphasCumprod);
    }

    private static float[] Betas(SchedulerConfig c)
    {
        var n = c.NumTrainTimesteps;
        if (c.TrainedBetas is { } trained)
        {
            return [.. trained];
        }

        switch (c.BetaSchedule)
        {
            case BetaSchedule.Linear:
                return ArrayMath.TorchLinspaceFloat32(c.BetaStart, c.BetaEnd, n);
            case BetaSchedule.ScaledLinear:
                var roots = ArrayMath.TorchLinspaceFloat32(Math.Sqrt(c.BetaStart), Math.Sqrt(c.BetaEnd), n);
                for (var i = 0; i < n; i++)
                {
                    roots[i] *= roots[i];
                }

                return roots;
            default:
                // Nichol & Dhariwal's cosine ᾱ(t), turned into betas capped at 0.999 (in float64, then float32).
                static double AlphaBar(double t) => Math.Pow(Math.Cos((t + 0.008) / 1.008 * Math.PI / 2), 2);
                var betas = new float[n];
                for (var i = 0; i < n; i++)
                {
                    betas[i] = (float)Math.Min(1 - AlphaBar((i + 1) / (double)n) / AlphaBar(i / (double)n), 0.999);
                }

                return betas;
        }
    }

    private static float[] CumulativeProduct(float[] betas)
    {
        var result = new float[betas.Length];
        var acc = 1.0;
        for (var i = 0; i < betas.Length; i++)
        {
            acc *= 1f - betas[i];
            result[i] = (float)acc;
        }

        return result;
    }

    /// <summary>Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are Flawed", Algorithm 1, in float32.</summary>
    private static float[] RescaleZeroTerminalSnr(float[] betas)
    {
        var sqrtAlphaBar = CumulativeProduct(betas);
        for (var i = 0; i < sqrtAlphaBar.Length; i++)
        {
            sqrtAlphaBar[i] = MathF.Sqrt(sqrtAlphaBar[i]);
        }

        var first = sqrtAlphaBar[0];
        var last = sqrtAlphaBar[^1];
        var scale = first / (first - last);
        var alphaBar = new float[betas.Length];
        for (var i = 0; i < alphaBar.Length; i++)
        {
            var shifted = (sqrtAlphaBar[i] - last) * scale;
            alphaBar[i] = shifted * shifted;
        }

        var rescaled = new float[betas.Length];
        rescaled[0] = 1f - alphaBar[0];
        for (var i = 1; i < rescaled.Length; i++)
        {
            rescaled[i] = 1f - alphaBar[i] / alphaBar[i - 1];
        }

        return rescaled;
    }
}
