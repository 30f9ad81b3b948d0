namespace OrtDiffusion.Schedulers;

/// <summary>
/// For the sigma-parameterised samplers: x̄₀ = X0FromModel·m + X0FromSample·x and the ODE
/// direction d = (x − x̄₀)/σ̂ = DerivativeFromModel·m + DerivativeFromSample·x.
/// </summary>
internal readonly record struct SigmaStepCoefficients(
    double X0FromModel,
    double X0FromSample,
    double DerivativeFromModel,
    double DerivativeFromSample)
{
    /// <param name="prediction">What the model predicts.</param>
    /// <param name="sigma">The step's sigma (v-prediction's conversion uses it).</param>
    /// <param name="sigmaHat">The sigma the sample is at (σ raised by Euler's churn; otherwise σ).</param>
    public static SigmaStepCoefficients For(PredictionType prediction, double sigma, double sigmaHat)
    {
        var (x0m, x0s) = prediction switch
        {
            PredictionType.Epsilon => (-sigmaHat, 1.0),
            PredictionType.VPrediction => (-sigma / Math.Sqrt(sigma * sigma + 1), 1 / (sigma * sigma + 1)),
            _ => (1.0, 0.0),
        };
        return new SigmaStepCoefficients(x0m, x0s, -x0m / sigmaHat, (1 - x0s) / sigmaHat);
    }
}
