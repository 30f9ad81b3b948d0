using System.Text.Json.Serialization;

namespace OrtDiffusion.Rewards;

/// <summary>The reward models a reward folder can hold (<c>reward.json</c>'s <c>kind</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RewardKind>))]
public enum RewardKind
{
    /// <summary>CLIP score: cosine of normalised image and text features (<c>"clip"</c>).</summary>
    [JsonStringEnumMemberName("clip")]
    Clip,

    /// <summary>LAION aesthetic predictor v2 on normalised CLIP image features (<c>"aesthetic"</c>).</summary>
    [JsonStringEnumMemberName("aesthetic")]
    Aesthetic,

    /// <summary>ImageReward v1.0: BLIP image tower and a BERT text encoder cross-attending to it (<c>"image_reward"</c>).</summary>
    [JsonStringEnumMemberName("image_reward")]
    ImageReward,

    /// <summary>HPSv2: OpenCLIP ViT-H-14 cosine of image and text features (<c>"hpsv2"</c>).</summary>
    [JsonStringEnumMemberName("hpsv2")]
    HpsV2,
}

/// <summary>The strings <c>reward.json</c> spells each <see cref="RewardKind"/> with.</summary>
public static class RewardKinds
{
    private static readonly (RewardKind Kind, string Name)[] Names =
    [
        (RewardKind.Clip, "clip"),
        (RewardKind.Aesthetic, "aesthetic"),
        (RewardKind.ImageReward, "image_reward"),
        (RewardKind.HpsV2, "hpsv2"),
    ];

    /// <summary>Every kind, in declaration order.</summary>
    public static IReadOnlyList<RewardKind> All { get; } = [.. Names.Select(n => n.Kind)];

    /// <summary>The manifest string of a kind (<c>clip</c>, <c>aesthetic</c>, <c>image_reward</c>, <c>hpsv2</c>).</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined kind.</exception>
    public static string Name(RewardKind kind)
    {
        foreach (var (k, name) in Names)
        {
            if (k == kind)
            {
                return name;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a defined reward kind.");
    }

    /// <summary>Reads a manifest string; false for anything this library does not know.</summary>
    public static bool TryParse(string? name, out RewardKind kind)
    {
        foreach (var (k, n) in Names)
        {
            if (string.Equals(n, name, StringComparison.Ordinal))
            {
                kind = k;
                return true;
            }
        }

        kind = default;
        return false;
    }
}
