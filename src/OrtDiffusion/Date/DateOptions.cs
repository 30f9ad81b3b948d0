namespace OrtDiffusion.Date;

/// <summary>The settings of DATE (see papers/NOTES.md: the released code's behaviour is the default).</summary>
public sealed record DateOptions
{
    /// <summary>Step size ρ of each update (the scripts' default 0.1; the README example uses 0.5).</summary>
    public float Rho { get; init; } = 0.1f;

    /// <summary>Which steps update (default: every 10th, the paper's "10% updates" at 50 steps).</summary>
    public DateSchedule Schedule { get; init; } = DateSchedule.Every(10);

    /// <summary>
    /// False (default, as the released code): updates accumulate, c ← c + ρĝ. True (<c>--date-init-org</c>,
    /// the poster's formula): c = c_org + ρĝ at every update.
    /// </summary>
    public bool InitFromOriginal { get; init; }

    /// <summary>λ of the optional prior: the loss is −h + λ·mean((c − c_org)²). 0 by default.</summary>
    public float PriorWeight { get; init; }

    /// <summary>Gradient steps per update step (1 in the paper).</summary>
    public int GradientSteps { get; init; } = 1;

    /// <summary>
    /// Also score x̄₀ after the update (one more decoder and reward forward per update) so traces show the gain.
    /// Off by default: the method itself does not need it.
    /// </summary>
    public bool ScoreAfterUpdate { get; init; }

    /// <summary>Throws when a setting is out of range.</summary>
    public void Validate()
    {
        if (!float.IsFinite(Rho) || Rho < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(Rho), Rho, "ρ must be a finite number ≥ 0.");
        }

        if (!float.IsFinite(PriorWeight) || PriorWeight < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(PriorWeight), PriorWeight, "λ must be a finite number ≥ 0.");
        }

        if (GradientSteps < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(GradientSteps), GradientSteps, "At least one gradient step per update.");
        }

        ArgumentNullException.ThrowIfNull(Schedule);
    }
}
