namespace OrtDiffusion.Ipgo;

/// <summary>What training has done so far: epochs, rewards, and the best tokens seen.</summary>
public sealed class IpgoHistory
{
    private readonly List<double> epochRewards = [];
    private readonly List<float> generationRewards = [];
    private readonly List<double> gradientNorms = [];
    private readonly List<double> penalties = [];

    /// <summary>Epochs finished.</summary>
    public int EpochsDone => epochRewards.Count;

    /// <summary>The mean reward of each finished epoch (the reward curve; for one prompt, that prompt's reward).</summary>
    public IReadOnlyList<double> EpochRewards => epochRewards;

    /// <summary>Every generation's reward in order (epoch by epoch, prompt by prompt).</summary>
    public IReadOnlyList<float> GenerationRewards => generationRewards;

    /// <summary>The total gradient norm (before clipping) of every optimiser step.</summary>
    public IReadOnlyList<double> GradientNorms => gradientNorms;

    /// <summary>The mean conformity penalty of each finished epoch.</summary>
    public IReadOnlyList<double> Penalties => penalties;

    /// <summary>The reward of the first epoch (before any update), or NaN before training.</summary>
    public double InitialReward => epochRewards.Count > 0 ? epochRewards[0] : double.NaN;

    /// <summary>The best epoch reward among epochs whose tokens stayed fixed throughout (always, for one prompt), or NaN.</summary>
    public double BestReward { get; private set; } = double.NaN;

    /// <summary>The epoch (0-based) of <see cref="BestReward"/>, or −1.</summary>
    public int BestEpoch { get; private set; } = -1;

    /// <summary>The prefix tokens <c>[L_p·D]</c> that scored <see cref="BestReward"/>, or null.</summary>
    public float[]? BestPrefix { get; private set; }

    /// <summary>The suffix tokens <c>[L_s·D]</c> that scored <see cref="BestReward"/>, or null.</summary>
    public float[]? BestSuffix { get; private set; }

    internal void AddGeneration(float reward) => generationRewards.Add(reward);

    internal void AddStep(double gradientNorm) => gradientNorms.Add(gradientNorm);

    /// <summary>Closes an epoch; returns whether it set a new best (only when <paramref name="tokensFixed"/>).</summary>
    internal bool CloseEpoch(double reward, double penalty, bool tokensFixed, float[] prefix, float[] suffix)
    {
        epochRewards.Add(reward);
        penalties.Add(penalty);
        if (!tokensFixed || !(double.IsNaN(BestReward) || reward > BestReward))
        {
            return false;
        }

        BestReward = reward;
        BestEpoch = epochRewards.Count - 1;
        BestPrefix = prefix;
        BestSuffix = suffix;
        return true;
    }

    internal void Restore(IEnumerable<double> epochs, IEnumerable<float> generations, IEnumerable<double> norms, IEnumerable<double> penaltyValues, double bestReward, int bestEpoch, float[]? bestPrefix, float[]? bestSuffix)
    {
        epochRewards.AddRange(epochs);
        generationRewards.AddRange(generations);
        gradientNorms.AddRange(norms);
        penalties.AddRange(penaltyValues);
        BestReward = bestReward;
        BestEpoch = bestEpoch;
        BestPrefix = bestPrefix;
        BestSuffix = bestSuffix;
    }
}
