namespace OrtDiffusion.Pipelines;

/// <summary>Progress of a generation: after step <paramref name="Step"/> of <paramref name="TotalSteps"/>.</summary>
/// <param name="Step">Steps finished.</param>
/// <param name="TotalSteps">Steps this run takes.</param>
/// <param name="Timestep">The timestep just taken.</param>
public readonly record struct GenerationProgress(int Step, int TotalSteps, float Timestep);

/// <summary>What a per-step callback sees; the spans are valid only during the callback.</summary>
public readonly ref struct StepSnapshot
{
    internal StepSnapshot(int stepIndex, float timestep, ReadOnlySpan<float> latents, ReadOnlySpan<float> predictedOriginal, ReadOnlySpan<long> shape)
    {
        StepIndex = stepIndex;
        Timestep = timestep;
        Latents = latents;
        PredictedOriginal = predictedOriginal;
        Shape = shape;
    }

    /// <summary>The step's index into the scheduler's timesteps.</summary>
    public int StepIndex { get; }

    /// <summary>The step's timestep.</summary>
    public float Timestep { get; }

    /// <summary>The latents after the step.</summary>
    public ReadOnlySpan<float> Latents { get; }

    /// <summary>The step's estimate of the clean latents x̄₀.</summary>
    public ReadOnlySpan<float> PredictedOriginal { get; }

    /// <summary>The latent shape.</summary>
    public ReadOnlySpan<long> Shape { get; }
}

/// <summary>Called after every sampling step.</summary>
public delegate void StepCallback(in StepSnapshot snapshot);
