namespace OrtDiffusion.Pipelines;

/// <summary>
/// Produces the guided noise prediction ε̂ for one sampling step. The default guides with CFG in one
/// batched denoiser call (UNet or transformer); DATE replaces it to update the conditional embedding at chosen steps first.
/// </summary>
public interface INoisePredictor
{
    /// <summary>Writes ε̂ for <paramref name="context"/>'s current step into <paramref name="guided"/>.</summary>
    void Predict(DenoisingContext context, Span<float> guided);
}

/// <summary>The standard predictor: classifier-free guidance with both branches in one denoiser call.</summary>
public sealed class GuidedNoisePredictor : INoisePredictor
{
    /// <summary>The shared instance (it holds no state).</summary>
    public static GuidedNoisePredictor Instance { get; } = new();

    /// <inheritdoc />
    public void Predict(DenoisingContext context, Span<float> guided)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.PredictGuided(guided);
    }
}
