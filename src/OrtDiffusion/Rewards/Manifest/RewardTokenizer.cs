using System.Text.Json.Serialization;

namespace OrtDiffusion.Rewards;

/// <summary>The tokenizer families reward folders use.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RewardTokenizerKind>))]
public enum RewardTokenizerKind
{
    /// <summary>CLIP byte-level BPE: <c>vocab.json</c> + <c>merges.txt</c> (<c>"clip_bpe"</c>); the pad token comes from <c>tokenizer_config.json</c>.</summary>
    [JsonStringEnumMemberName("clip_bpe")]
    ClipBpe,

    /// <summary>BERT WordPiece: <c>vocab.txt</c> (<c>"bert_wordpiece"</c>), as ImageReward's BLIP text encoder.</summary>
    [JsonStringEnumMemberName("bert_wordpiece")]
    BertWordPiece,
}

/// <summary>The tokenizer a reward's text inputs come from.</summary>
public sealed record RewardTokenizer
{
    /// <summary>The tokenizer family.</summary>
    [JsonPropertyName("kind")]
    public RewardTokenizerKind Kind { get; init; }

    /// <summary>The tokenizer folder, relative to the reward folder.</summary>
    [JsonPropertyName("folder")]
    public string Folder { get; init; } = "tokenizer";

    /// <summary>Sequence length the ids are padded (and truncated) to, start and end tokens included.</summary>
    [JsonPropertyName("max_length")]
    public int MaxLength { get; init; }
}
