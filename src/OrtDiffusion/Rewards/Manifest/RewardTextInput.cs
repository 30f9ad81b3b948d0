using System.Text.Json.Serialization;

namespace OrtDiffusion.Rewards;

/// <summary>What a text-derived input of a reward model holds.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RewardTextInputKind>))]
public enum RewardTextInputKind
{
    /// <summary>Token ids of the prompt, padded to <see cref="RewardTokenizer.MaxLength"/> (<c>"input_ids"</c>).</summary>
    [JsonStringEnumMemberName("input_ids")]
    InputIds,

    /// <summary>1 for real tokens, 0 for padding (<c>"attention_mask"</c>).</summary>
    [JsonStringEnumMemberName("attention_mask")]
    AttentionMask,

    /// <summary>The output of the folder's <see cref="RewardManifest.TextModel"/> for the prompt (<c>"text_embeds"</c>).</summary>
    [JsonStringEnumMemberName("text_embeds")]
    TextEmbeds,
}

/// <summary>One input of the reward model that comes from the prompt rather than the image.</summary>
/// <param name="Name">The model input's name.</param>
/// <param name="Kind">What to feed it.</param>
public sealed record RewardTextInput(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("kind")] RewardTextInputKind Kind);
