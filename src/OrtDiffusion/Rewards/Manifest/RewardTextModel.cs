using System.Text.Json.Serialization;

namespace OrtDiffusion.Rewards;

/// <summary>
/// A model that turns the prompt's tokens into the reward model's text inputs once per prompt (the text tower of
/// a two-tower reward such as CLIP score or HPSv2), so the per-image model never re-encodes the text.
/// </summary>
public sealed record RewardTextModel
{
    /// <summary>The model file, relative to the reward folder.</summary>
    [JsonPropertyName("model")]
    public string Model { get; init; } = "text_model.onnx";

    /// <summary>Its token-id input (int32 or int64; the type is read from the model).</summary>
    [JsonPropertyName("input_ids")]
    public string InputIds { get; init; } = "input_ids";

    /// <summary>Its attention-mask input, or null when it has none.</summary>
    [JsonPropertyName("attention_mask")]
    public string? AttentionMask { get; init; }

    /// <summary>Its output, fed to the reward model's input of kind <see cref="RewardTextInputKind.TextEmbeds"/>.</summary>
    [JsonPropertyName("output")]
    public string Output { get; init; } = "text_embeds";
}
