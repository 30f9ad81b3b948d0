using System.Text.Json.Serialization;

namespace OrtDiffusion.Rewards;

/// <summary>
/// How images are prepared. With <see cref="InGraph"/> true the model does all of it itself (so it is
/// differentiated too) and callers pass RGB in [0, 1] at any size; the other fields record what it does.
/// </summary>
public sealed record RewardPreprocessing
{
    /// <summary>Whether resize, crop and normalisation happen inside <c>model.onnx</c>.</summary>
    [JsonPropertyName("in_graph")]
    public bool InGraph { get; init; } = true;

    /// <summary>Range of the pixel values the model expects.</summary>
    [JsonPropertyName("input_range")]
    public IReadOnlyList<double> InputRange { get; init; } = [0, 1];

    /// <summary>Interpolation of the resize: <c>"bilinear"</c> or <c>"bicubic"</c>.</summary>
    [JsonPropertyName("resize")]
    public string Resize { get; init; } = "bilinear";

    /// <summary>The side length the shorter side is resized to and the centre crop's size.</summary>
    [JsonPropertyName("image_size")]
    public int ImageSize { get; init; }

    /// <summary>The crop after the resize: <c>"center"</c>.</summary>
    [JsonPropertyName("crop")]
    public string Crop { get; init; } = "center";

    /// <summary>Per-channel mean subtracted after the crop (RGB).</summary>
    [JsonPropertyName("mean")]
    public IReadOnlyList<double> Mean { get; init; } = [];

    /// <summary>Per-channel standard deviation divided by after the mean (RGB).</summary>
    [JsonPropertyName("std")]
    public IReadOnlyList<double> Std { get; init; } = [];
}
