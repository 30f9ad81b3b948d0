namespace OrtDiffusion.Ipgo;

/// <summary>
/// Step decay of the learning rate, as <c>torch.optim.lr_scheduler.StepLR</c>: after every <see cref="StepSize"/>-th
/// call of <see cref="Step"/> the rate is multiplied by <see cref="Gamma"/> (in double, as Python does).
/// </summary>
public sealed class StepLearningRate
{
    /// <summary>Starts at <paramref name="initial"/>.</summary>
    public StepLearningRate(double initial, int stepSize, double gamma)
    {
        if (!(initial > 0) || !double.IsFinite(initial))
        {
            throw new ArgumentOutOfRangeException(nameof(initial), initial, "The learning rate must be a finite number > 0.");
        }

        if (stepSize < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(stepSize), stepSize, "The decay interval must be at least 1 step.");
        }

        if (!(gamma > 0) || !double.IsFinite(gamma))
        {
            throw new ArgumentOutOfRangeException(nameof(gamma), gamma, "The decay factor must be a finite number > 0.");
        }

        Current = initial;
        StepSize = stepSize;
        Gamma = gamma;
    }

    /// <summary>Steps between decays.</summary>
    public int StepSize { get; }

    /// <summary>The decay factor.</summary>
    public double Gamma { get; }

    /// <summary>The rate the next optimiser step uses.</summary>
    public double Current { get; private set; }

    /// <summary>Calls of <see cref="Step"/> so far (PyTorch's <c>last_epoch</c>).</summary>
    public int StepsTaken { get; private set; }

    /// <summary>Advances one step (after an optimiser step, as PyTorch's <c>scheduler.step()</c>).</summary>
    public void Step()
    {
        StepsTaken++;
        if (StepsTaken % StepSize == 0)
        {
            Current *= Gamma;
        }
    }

    /// <summary>Restores a saved position.</summary>
    public void Restore(int stepsTaken, double current)
    {
        if (stepsTaken < 0 || !(current > 0) || !double.IsFinite(current))
        {
            throw new ArgumentOutOfRangeException(nameof(current), $"A saved learning-rate schedule needs steps ≥ 0 and a rate > 0; got {stepsTaken} and {current}.");
        }

        StepsTaken = stepsTaken;
        Current = current;
    }
}
