namespace OrtDiffusion.Ipgo;

/// <summary>What the tokens were learned for: the base model, the reward and the prompts.</summary>
public sealed record IpgoMetadata
{
    /// <summary>The base model's name (its folder name).</summary>
    public string BaseModel { get; init; } = string.Empty;

    /// <summary>The reward, as given (e.g. <c>aesthetic=1</c>, or several joined by <c>+</c>).</summary>
    public string Reward { get; init; } = string.Empty;

    /// <summary>The training prompts (one for single-prompt training).</summary>
    public IReadOnlyList<string> Prompts { get; init; } = [];
}
