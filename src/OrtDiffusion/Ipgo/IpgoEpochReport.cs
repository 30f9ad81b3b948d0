namespace OrtDiffusion.Ipgo;

/// <summary>Progress of IPGO training, reported after every generation (one prompt of one epoch).</summary>
public sealed record IpgoEpochReport
{
    /// <summary>The epoch (1-based).</summary>
    public int Epoch { get; init; }

    /// <summary>Epochs of the whole run.</summary>
    public int Epochs { get; init; }

    /// <summary>The generation within the epoch (1-based: the prompt's position).</summary>
    public int Generation { get; init; }

    /// <summary>Generations per epoch (the number of prompts).</summary>
    public int Generations { get; init; }

    /// <summary>The prompt just generated.</summary>
    public string Prompt { get; init; } = string.Empty;

    /// <summary>Its reward.</summary>
    public float Reward { get; init; }

    /// <summary>Its conformity penalty.</summary>
    public double Penalty { get; init; }

    /// <summary>Its loss, −reward + λ·penalty (before division by the accumulation steps).</summary>
    public double Loss { get; init; }

    /// <summary>Whether this generation closed the epoch (then <see cref="EpochReward"/> is set).</summary>
    public bool EpochComplete { get; init; }

    /// <summary>The epoch's mean reward, when <see cref="EpochComplete"/>.</summary>
    public double? EpochReward { get; init; }

    /// <summary>The best epoch reward so far (NaN until one is known).</summary>
    public double BestReward { get; init; } = double.NaN;

    /// <summary>The reward of the first epoch (NaN until it is known).</summary>
    public double InitialReward { get; init; } = double.NaN;

    /// <summary>The learning rate of the next optimiser step.</summary>
    public double LearningRate { get; init; }

    /// <summary>The total gradient norm before clipping, when this generation closed an optimiser step.</summary>
    public double? GradientNorm { get; init; }

    /// <summary>Wall time of the generation (sampling, gradient, update).</summary>
    public TimeSpan Elapsed { get; init; }

    /// <summary>The part of <see cref="Elapsed"/> spent inside ONNX Runtime (UNet, decoder, reward).</summary>
    public TimeSpan ModelTime { get; init; }
}

/// <summary>What a call of <see cref="IpgoTrainer.Train"/> produced.</summary>
/// <param name="Tokens">The tokens (the same object that was trained).</param>
/// <param name="BestImage">For single-prompt training: the image <c>[1, 3, H, W]</c> in [0, 1] of the best epoch, if this call found it; else null.</param>
/// <param name="Elapsed">Wall time.</param>
/// <param name="ModelTime">Time inside ONNX Runtime.</param>
public sealed record IpgoTrainingResult(IpgoTokens Tokens, Tensors.FloatTensor? BestImage, TimeSpan Elapsed, TimeSpan ModelTime)
{
    /// <summary>The reward curve: the mean reward of every epoch so far.</summary>
    public IReadOnlyList<double> Rewards => Tokens.History.EpochRewards;

    /// <summary>The first epoch's reward.</summary>
    public double InitialReward => Tokens.History.InitialReward;

    /// <summary>The best epoch reward (NaN when tokens changed within every epoch).</summary>
    public double BestReward => Tokens.History.BestReward;
}
