using OrtDiffusion.Models;

namespace OrtDiffusion.Rewards;

/// <summary>
/// CLIP score (OpenAI CLIP ViT-L/14): the cosine of the L2-normalised image and text features, without the ×100
/// logit scale. The text features come from the folder's <c>text_model.onnx</c> (CLIP BPE tokens), once per prompt.
/// </summary>
public sealed class ClipScore : RewardModel
{
    internal ClipScore(RewardFolder folder, ExecutionOptions execution)
        : base(RequireTextTower(folder), execution)
    {
    }

    /// <summary>CLIP-style rewards take one <c>text_embeds</c> input from a text model on CLIP BPE tokens.</summary>
    internal static RewardFolder RequireTextTower(RewardFolder folder)
    {
        var m = folder.Manifest;
        return Require(
            folder,
            m.TextInputs.Count == 1 && m.TextInputs[0].Kind == RewardTextInputKind.TextEmbeds && m.TextModel is not null && m.Tokenizer?.Kind == RewardTokenizerKind.ClipBpe,
            "exactly one text input of kind text_embeds, a text_model and a clip_bpe tokenizer");
    }
}
