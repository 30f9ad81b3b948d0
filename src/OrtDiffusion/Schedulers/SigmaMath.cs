namespace OrtDiffusion.Schedulers;

/// <summary>Conversions between sigmas and (fractional) training timesteps.</summary>
internal static class SigmaMath
{
    /// <summary>
    /// Karras et al. 2022, eq. 5: <paramref name="count"/> sigmas from <paramref name="sigmaMax"/>
    /// down to <paramref name="sigmaMin"/>, evenly spaced in σ^(1/ρ) with ρ = 7.
    /// </summary>
    public static double[] Karras(double sigmaMax, double sigmaMin, int count)
    {
        const double Rho = 7.0;
        var ramp = ArrayMath.Linspace(0, 1, count);
        var maxInvRho = Math.Pow(sigmaMax, 1 / Rho);
        var minInvRho = Math.Pow(sigmaMin, 1 / Rho);
        var sigmas = new double[count];
        for (var i = 0; i < count; i++)
        {
            sigmas[i] = Math.Pow(maxInvRho + ramp[i] * (minInvRho - maxInvRho), Rho);
        }

        return sigmas;
    }

    /// <summary>
    /// The fractional training timestep whose sigma is <paramref name="sigma"/>: linear
    /// interpolation in log σ between the two neighbouring training points, clamped to the table.
    /// </summary>
    public static double SigmaToTimestep(double sigma, float[] logSigmas)
    {
        var logSigma = Math.Log(Math.Max(sigma, 1e-10));

        // The last training point whose log-sigma is not above logSigma (0 if none is).
        var low = 0;
        for (var t = 0; t < logSigmas.Length; t++)
        {
            if (logSigma - logSigmas[t] >= 0)
            {
                low = t;
            }
        }

        low = Math.Min(low, logSigmas.Length - 2);
        double lo = logSigmas[low];
        double hi = logSigmas[low + 1];
        var w = Math.Clamp((lo - logSigma) / (lo - hi), 0.0, 1.0);
        return (1 - w) * low + w * (low + 1);
    }

    /// <summary>The variance-preserving pair for a sigma: α = 1/√(σ²+1), σ_vp = σ·α.</summary>
    public static (double Alpha, double SigmaVp) AlphaSigma(double sigma)
    {
        var alpha = 1.0 / Math.Sqrt(sigma * sigma + 1.0);
        return (alpha, sigma * alpha);
    }
}
