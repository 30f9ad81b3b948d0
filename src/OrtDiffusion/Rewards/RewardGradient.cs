using OrtDiffusion.Tensors;

namespace OrtDiffusion.Rewards;

/// <summary>The result of <see cref="IReward.ScoreWithGradient"/>.</summary>
/// <param name="Scores">One score per image (not multiplied by the weights).</param>
/// <param name="ImageGradient">∂(Σ_b weights[b] · score[b]) / ∂images, shaped like the images.</param>
public sealed record RewardGradient(float[] Scores, FloatTensor ImageGradient);
