namespace OrtDiffusion.Schedulers;

/// <summary>
/// One multistep DPM-Solver update written as <c>prev = Sample·x + Current·Q₀ + Previous·Q₁ + Earlier·Q₂</c>,
/// where Qⱼ are the converted model outputs (x̄₀ for DPM-Solver++, ε for DPM-Solver) of this
/// step and the two before it.
/// </summary>
internal readonly record struct DpmSolverCoefficients(double Sample, double Current, double Previous, double Earlier)
{
    /// <summary>
    /// The update of Lu et al. (DPM-Solver, 2022, and DPM-Solver++, 2022) of order
    /// <paramref name="order"/> from σ_s0 to σ_t, with σ_s1, σ_s2 the sigmas of the two previous steps.
    /// It is first written with the divided differences D₀ = Q₀, D₁, D₂ of the paper and then
    /// expanded into the Qⱼ, which makes the step's derivatives direct.
    /// </summary>
    public static DpmSolverCoefficients For(
        int order, bool dataPrediction, DpmSolverType solverType, double sigmaT, double sigmaS0, double sigmaS1, double sigmaS2)
    {
        var (alphaT, sigmaVpT) = SigmaMath.AlphaSigma(sigmaT);
        var (alphaS0, sigmaVpS0) = SigmaMath.AlphaSigma(sigmaS0);
        var lambdaT = Lambda(sigmaT);
        var lambdaS0 = Lambda(sigmaS0);
        var h = lambdaT - lambdaS0;

        double sampleCoeff, a0, a1 = 0, a2 = 0;
        if (dataPrediction)
        {
            var phi1 = double.IsPositiveInfinity(h) ? -1.0 : double.ExpM1(-h); // e^{−h} − 1
            sampleCoeff = sigmaVpT / sigmaVpS0;
            a0 = -alphaT * phi1;
            if (order == 2 && solverType == DpmSolverType.Midpoint)
            {
                a1 = -0.5 * alphaT * phi1;
            }
            else if (order >= 2)
            {
                a1 = alphaT * (phi1 / h + 1.0);
            }

            if (order == 3)
            {
                a2 = -alphaT * ((phi1 + h) / (h * h) - 0.5);
            }
        }
        else
        {
            var phi1 = double.ExpM1(h); // e^{h} − 1
            sampleCoeff = alphaT / alphaS0;
            a0 = -sigmaVpT * phi1;
            if (order == 2 && solverType == DpmSolverType.Midpoint)
            {
                a1 = -0.5 * sigmaVpT * phi1;
            }
            else if (order >= 2)
            {
                a1 = -sigmaVpT * (phi1 / h - 1.0);
            }

            if (order == 3)
            {
                a2 = -sigmaVpT * ((phi1 - h) / (h * h) - 0.5);
            }
        }

        if (order == 1)
        {
            return new DpmSolverCoefficients(sampleCoeff, a0, 0, 0);
        }

        // D₁ = (Q₀ − Q₁)/r₀ for order 2; for order 3, with D₁₀ = (Q₀ − Q₁)/r₀ and D₁₁ = (Q₁ − Q₂)/r₁:
        // D₁ = D₁₀ + ρ(D₁₀ − D₁₁), D₂ = (D₁₀ − D₁₁)/(r₀ + r₁), ρ = r₀/(r₀ + r₁).
        var lambdaS1 = Lambda(sigmaS1);
        var r0 = (lambdaS0 - lambdaS1) / h;
        if (order == 2)
        {
            return new DpmSolverCoefficients(sampleCoeff, a0 + a1 / r0, -a1 / r0, 0);
        }

        var r1 = (lambdaS1 - Lambda(sigmaS2)) / h;
        var rho = r0 / (r0 + r1);
        var onD10 = a1 * (1 + rho) + a2 / (r0 + r1);
        var onD11 = -a1 * rho - a2 / (r0 + r1);
        return new DpmSolverCoefficients(sampleCoeff, a0 + onD10 / r0, -onD10 / r0 + onD11 / r1, -onD11 / r1);
    }

    /// <summary>λ = ln α − ln σ_vp, half the log-SNR; +∞ at σ = 0.</summary>
    private static double Lambda(double sigma)
    {
        var (alpha, sigmaVp) = SigmaMath.AlphaSigma(sigma);
        return Math.Log(alpha) - Math.Log(sigmaVp);
    }
}
