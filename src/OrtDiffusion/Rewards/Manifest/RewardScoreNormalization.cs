using System.Text.Json.Serialization;

namespace OrtDiffusion.Rewards;

/// <summary>
/// An affine map the reward applies to the raw model output, <c>(r − mean) / std</c>, as ImageReward v1.0 does
/// with <c>mean = 0.16717362830052426</c>, <c>std = 1.0333394966054072</c>. With <see cref="InGraph"/> true (the
/// zoo's ImageReward and the recommended export) the graph's <c>score</c> output is already normalised and this
/// only records the constants; with false the library applies it to the scores and scales the gradient by 1/std.
/// </summary>
public sealed record RewardScoreNormalization
{
    /// <summary>Subtracted from the raw output.</summary>
    [JsonPropertyName("mean")]
    public double Mean { get; init; }

    /// <summary>Divides the centred output; must be positive.</summary>
    [JsonPropertyName("std")]
    public double Std { get; init; } = 1;

    /// <summary>Whether <c>model.onnx</c> does the normalisation itself.</summary>
    [JsonPropertyName("in_graph")]
    public bool InGraph { get; init; } = true;

    /// <summary>ImageReward v1.0's constants (<c>ImageReward.py</c>: <c>self.mean</c>, <c>self.std</c>), done in the graph.</summary>
    public static RewardScoreNormalization ImageRewardV1 { get; } = new() { Mean = 0.16717362830052426, Std = 1.0333394966054072 };
}
