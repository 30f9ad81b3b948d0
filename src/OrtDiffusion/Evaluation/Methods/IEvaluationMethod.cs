using OrtDiffusion.Pipelines;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// A way of generating an image for a prompt and seed that an evaluation compares with others (fixed embedding,
/// DATE, learned IPGO tokens, …). One instance serves every item of a run; it owns what it loaded (its rewards,
/// its tokens) and is disposed at the end.
/// </summary>
public interface IEvaluationMethod : IDisposable
{
    /// <summary>The method as the user named it.</summary>
    MethodSpec Spec { get; }

    /// <summary>
    /// Called once with the opened model and the run's prompts before the first item is generated, so that a method
    /// that cannot run on this model or these prompts fails before any work (the default accepts everything).
    /// </summary>
    /// <param name="backbone">The opened model.</param>
    /// <param name="prompts">Every prompt of the run.</param>
    /// <exception cref="NotSupportedException">The method does not run on this backbone.</exception>
    void Prepare(EvaluationBackbone backbone, IReadOnlyList<string> prompts)
    {
    }

    /// <summary>
    /// Generates one image. <paramref name="request"/> arrives complete — prompt, seed, sampling settings (the
    /// backbone's defaults where the run gave none), batch 1; no embeddings, so the pipeline encodes the prompt as its
    /// backbone does (already in its cache: the runner encodes before timing) — and a method may change what it needs
    /// (e.g. supply <see cref="GenerationRequest.Embeddings"/>) with a <c>with</c> expression.
    /// </summary>
    /// <param name="backbone">The opened model.</param>
    /// <param name="request">What to generate.</param>
    /// <param name="cancellation">Stops the generation.</param>
    MethodSample Generate(EvaluationBackbone backbone, GenerationRequest request, CancellationToken cancellation);
}

/// <summary>One generated image and what the method reports about it.</summary>
/// <param name="Result">The generation (its first image is evaluated).</param>
/// <param name="Trace">The reward the method optimised, per sampling step where it measured it (DATE's h(x̄₀) before each update), or null.</param>
public sealed record MethodSample(GenerationResult Result, RewardTrace? Trace = null);

/// <summary>A method's own reward per sampling step, for the reward-per-step plot.</summary>
/// <param name="Reward">The reward's name.</param>
/// <param name="Steps">Step indices (0 = noisiest).</param>
/// <param name="Values">The reward at each of those steps.</param>
public sealed record RewardTrace(string Reward, IReadOnlyList<int> Steps, IReadOnlyList<double> Values);
