using OrtDiffusion.Tensors;

namespace OrtDiffusion.Rewards;

/// <summary>
/// A differentiable reward of images for a prompt: images <c>[batch, 3, H, W]</c> in [0, 1] at any size
/// (resizing and normalisation happen inside the reward's graph, so they are differentiated too).
/// </summary>
public interface IReward : IDisposable
{
    /// <summary>A short name for tables and traces.</summary>
    string Name { get; }

    /// <summary>One score per image.</summary>
    float[] Score(FloatTensor images, string prompt, CancellationToken cancellationToken = default);

    /// <summary>
    /// The scores and the gradient of Σ_b weights[b]·score_b with respect to the images (same shape), from one
    /// call of the reward's VJP graph.
    /// </summary>
    RewardGradient ScoreWithGradient(FloatTensor images, string prompt, ReadOnlySpan<float> weights, CancellationToken cancellationToken = default);
}

/// <summary>Scores and the image gradient of a reward.</summary>
/// <param name="Scores">One score per image.</param>
/// <param name="ImageGradient">d(Σ weight·score)/d(images), shaped like the images.</param>
public sealed record RewardGradient(float[] Scores, FloatTensor ImageGradient);
