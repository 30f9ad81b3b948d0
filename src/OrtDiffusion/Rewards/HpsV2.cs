using OrtDiffusion.Models;

namespace OrtDiffusion.Rewards;

/// <summary>
/// HPSv2 (OpenCLIP ViT-H-14 fine-tuned on human preferences): the cosine of the normalised image and text features.
/// The text side is OpenCLIP's text tower in <c>text_model.onnx</c> on CLIP BPE tokens (padded with id 0, as
/// <c>open_clip.tokenize</c> pads; the tokenizer folder's <c>tokenizer_config.json</c> says <c>"pad_token": "!"</c>).
/// </summary>
public sealed class HpsV2 : RewardModel
{
    internal HpsV2(RewardFolder folder, ExecutionOptions execution)
        : base(ClipScore.RequireTextTower(folder), execution)
    {
    }
}
