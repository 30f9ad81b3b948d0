namespace OrtDiffusion.Date;

/// <summary>What DATE did at one sampling step (one entry of <c>--trace</c>).</summary>
public sealed record DateStepTrace
{
    /// <summary>Step index (0 = noisiest).</summary>
    public int Index { get; init; }

    /// <summary>The step's timestep.</summary>
    public float Timestep { get; init; }

    /// <summary>Whether this step was scheduled to update.</summary>
    public bool Scheduled { get; init; }

    /// <summary>Whether the embedding of each sample was changed (false where the gradient norm was zero or not finite).</summary>
    public IReadOnlyList<bool> Updated { get; init; } = [];

    /// <summary>h(x̄₀) per sample before the update (scheduled steps).</summary>
    public IReadOnlyList<float>? RewardBefore { get; init; }

    /// <summary>h(x̄₀) per sample after the update, when <see cref="DateOptions.ScoreAfterUpdate"/> is on.</summary>
    public IReadOnlyList<float>? RewardAfter { get; init; }

    /// <summary>‖g‖ (one Frobenius norm per sample) of the last gradient step.</summary>
    public IReadOnlyList<double>? GradientNorm { get; init; }

    /// <summary>Why a sample was not updated, if one was not.</summary>
    public string? SkipReason { get; init; }

    /// <summary>Wall time of each model call of the step, in milliseconds, in call order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> CallMilliseconds { get; init; } = [];
}
