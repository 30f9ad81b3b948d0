using OrtDiffusion.Tensors;

namespace OrtDiffusion.Rewards;

/// <summary>
/// A differentiable reward of images given a prompt (higher is better): CLIP score, LAION aesthetic, ImageReward,
/// HPSv2, or a weighted sum of them. Images are <c>[B, 3, H, W]</c> RGB in [0, 1] at any size; the reward resizes,
/// crops and normalises them itself, inside what it differentiates. The prompt's text side is computed once per
/// prompt and reused.
/// </summary>
public interface IReward : IDisposable
{
    /// <summary>A short name for tables and logs (the reward folder's name; <c>clip=1,aesthetic=0.05</c> for a sum).</summary>
    string Name { get; }

    /// <summary>Scores a batch of images against <paramref name="prompt"/>.</summary>
    /// <param name="images"><c>[B, 3, H, W]</c>, RGB in [0, 1], finite.</param>
    /// <param name="prompt">The prompt (ignored by rewards without a text side).</param>
    /// <param name="cancellation">Stops a running model at the next node boundary.</param>
    /// <returns>One score per image.</returns>
    /// <exception cref="ArgumentException">The images are not <c>[B, 3, H, W]</c> or hold a non-finite value.</exception>
    /// <exception cref="NonFiniteRewardException">The reward produced NaN or infinity.</exception>
    float[] Score(FloatTensor images, string prompt, CancellationToken cancellation = default);

    /// <summary>
    /// Scores the images and returns the gradient of <c>Σ_b weights[b] · score[b]</c> with respect to the images, from
    /// one run of the reward's VJP model (the forward pass and the backward pass in one graph, cotangent = weights).
    /// </summary>
    /// <param name="images"><c>[B, 3, H, W]</c>, RGB in [0, 1], finite.</param>
    /// <param name="prompt">The prompt (ignored by rewards without a text side).</param>
    /// <param name="weights">Per-image cotangent, length B; empty means all ones.</param>
    /// <param name="cancellation">Stops a running model at the next node boundary.</param>
    /// <returns>The unweighted scores and the image gradient (same shape as <paramref name="images"/>).</returns>
    /// <exception cref="ArgumentException">Bad images, or weights of the wrong length or not finite.</exception>
    /// <exception cref="NonFiniteRewardException">The reward or its gradient has NaN or infinity.</exception>
    RewardGradient ScoreWithGradient(FloatTensor images, string prompt, ReadOnlySpan<float> weights = default, CancellationToken cancellation = default);
}
