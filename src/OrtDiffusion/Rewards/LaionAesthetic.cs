using OrtDiffusion.Models;

namespace OrtDiffusion.Rewards;

/// <summary>
/// The LAION aesthetic predictor v2: CLIP ViT-L/14 image features, L2-normalised, through a five-layer linear MLP
/// with no activations (768→1024→128→64→16→1). It has no text side and ignores the prompt.
/// </summary>
public sealed class LaionAesthetic : RewardModel
{
    internal LaionAesthetic(RewardFolder folder, ExecutionOptions execution)
        : base(Require(folder, folder.Manifest.TextInputs.Count == 0 && folder.Manifest.TextModel is null, "no text inputs and no text_model (it scores images only)"), execution)
    {
    }
}
