namespace OrtDiffusion.Rewards;

/// <summary>
/// A reward returned NaN or infinity (a score, the prompt's text features or the image gradient). Thrown instead
/// of passing the value on, so an optimiser such as DATE never writes NaN into an embedding.
/// </summary>
public sealed class NonFiniteRewardException : InvalidOperationException
{
    /// <summary>Creates the exception; the message names the reward, the prompt and what was not finite.</summary>
    /// <param name="rewardName">The reward's name.</param>
    /// <param name="prompt">The prompt scored.</param>
    /// <param name="what">What was not finite, e.g. <c>score of image 1</c>.</param>
    public NonFiniteRewardException(string rewardName, string prompt, string what)
        : base($"Reward '{rewardName}' produced a non-finite {what} for the prompt \"{prompt}\".")
    {
        RewardName = rewardName;
        Prompt = prompt;
        What = what;
    }

    /// <summary>The reward's name.</summary>
    public string RewardName { get; }

    /// <summary>The prompt scored.</summary>
    public string Prompt { get; }

    /// <summary>What was not finite.</summary>
    public string What { get; }

    /// <summary>Throws when a span holds NaN or infinity, naming the first bad element.</summary>
    internal static void ThrowIfNotFinite(ReadOnlySpan<float> values, string rewardName, string prompt, string what, int itemLength)
    {
        var index = FiniteCheck.IndexOfNonFinite(values);
        if (index >= 0)
        {
            var where = itemLength > 0 ? $"{what} of image {index / itemLength} ({values[index]})" : $"{what} ({values[index]})";
            throw new NonFiniteRewardException(rewardName, prompt, where);
        }
    }
}
