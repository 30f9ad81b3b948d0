using OrtDiffusion.Models;

namespace OrtDiffusion.Rewards;

/// <summary>
/// ImageReward v1.0: a BLIP ViT image tower, a BERT text encoder cross-attending to the image tokens (BERT WordPiece
/// ids and attention mask, 35 tokens; the graph writes BLIP's <c>[ENC]</c> token over position 0 as
/// <c>ImageReward.score</c> does), the CLS state through a five-layer MLP, normalised as
/// <c>(r − 0.16717362830052426) / 1.0333394966054072</c>. The normalisation is done inside <c>model.onnx</c> (the
/// zoo's and the recommended export), recorded in <c>reward.json</c>'s <c>score_normalization</c>; a folder whose
/// graph returns the raw MLP output says <c>"in_graph": false</c> and the library applies it, scaling the gradient by 1/std.
/// </summary>
public sealed class ImageReward : RewardModel
{
    internal ImageReward(RewardFolder folder, ExecutionOptions execution)
        : base(RequireTokens(folder), execution)
    {
    }

    private static RewardFolder RequireTokens(RewardFolder folder)
    {
        var m = folder.Manifest;
        var kinds = m.TextInputs.Select(t => t.Kind).ToList();
        return Require(
            folder,
            kinds.Count == 2 && kinds.Contains(RewardTextInputKind.InputIds) && kinds.Contains(RewardTextInputKind.AttentionMask)
                && m.Tokenizer?.Kind == RewardTokenizerKind.BertWordPiece && m.ScoreNormalization is not null,
            "text inputs input_ids and attention_mask, a bert_wordpiece tokenizer and a score_normalization");
    }
}
