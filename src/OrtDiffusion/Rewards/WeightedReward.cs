using System.Globalization;
using System.Numerics.Tensors;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Rewards;

/// <summary>One term of a <see cref="WeightedReward"/>.</summary>
/// <param name="Reward">The reward.</param>
/// <param name="Weight">Its weight in the sum.</param>
public readonly record struct WeightedRewardTerm(IReward Reward, float Weight);

/// <summary>
/// A weighted sum of rewards as one reward: <c>score = Σ_k w_k · score_k</c>. Its gradient is the weighted sum of the
/// terms' gradients, each term computing its own from one VJP run with cotangent <c>w_k · weights</c>. Terms of
/// weight 0 are not run.
/// </summary>
public sealed class WeightedReward : IReward
{
    private readonly WeightedRewardTerm[] terms;
    private readonly bool ownsRewards;

    /// <summary>Combines <paramref name="terms"/>.</summary>
    /// <param name="terms">At least one reward with a finite weight.</param>
    /// <param name="ownsRewards">Dispose the rewards with this one.</param>
    /// <exception cref="ArgumentException">No terms, or a weight that is not finite.</exception>
    public WeightedReward(IEnumerable<WeightedRewardTerm> terms, bool ownsRewards = true)
    {
        ArgumentNullException.ThrowIfNull(terms);
        this.terms = [.. terms];
        if (this.terms.Length == 0)
        {
            throw new ArgumentException("A weighted reward needs at least one term.", nameof(terms));
        }

        foreach (var t in this.terms)
        {
            ArgumentNullException.ThrowIfNull(t.Reward, nameof(terms));
            if (!float.IsFinite(t.Weight))
            {
                throw new ArgumentException($"The weight of reward '{t.Reward.Name}' is {t.Weight}; weights must be finite.", nameof(terms));
            }
        }

        this.ownsRewards = ownsRewards;
        Name = string.Join(",", this.terms.Select(t => $"{t.Reward.Name}={t.Weight.ToString(CultureInfo.InvariantCulture)}"));
    }

    /// <summary>The terms, in the order given.</summary>
    public IReadOnlyList<WeightedRewardTerm> Terms => terms;

    /// <summary><c>name=weight</c> of each term, comma-separated.</summary>
    public string Name { get; }

    /// <summary>The weighted total per image.</summary>
    public float[] Score(FloatTensor images, string prompt, CancellationToken cancellation = default) =>
        Total(ScoreTerms(images, prompt, cancellation), images.BatchSize);

    /// <summary>Each term's own (unweighted) scores, in term order; a term of weight 0 still runs here.</summary>
    public IReadOnlyList<float[]> ScoreTerms(FloatTensor images, string prompt, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        return [.. terms.Select(t => t.Reward.Score(images, prompt, cancellation))];
    }

    /// <inheritdoc />
    public RewardGradient ScoreWithGradient(FloatTensor images, string prompt, ReadOnlySpan<float> weights = default, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        FiniteCheck.CheckImages(images, Name);
        var batch = images.BatchSize;
        FiniteCheck.CheckWeights(weights, batch, Name);

        var scores = new float[batch];
        var gradient = new float[images.Length];
        var cotangent = new float[batch];
        foreach (var term in terms)
        {
            if (term.Weight == 0)
            {
                continue;
            }

            if (weights.IsEmpty)
            {
                Array.Fill(cotangent, term.Weight);
            }
            else
            {
                TensorPrimitives.Multiply(weights, term.Weight, cotangent);
            }

            var part = term.Reward.ScoreWithGradient(images, prompt, cotangent, cancellation);
            TensorPrimitives.MultiplyAdd(part.Scores, term.Weight, scores, scores);
            TensorPrimitives.Add(gradient, part.ImageGradient.Data, gradient);
        }

        return new RewardGradient(scores, new FloatTensor(gradient, (long[])images.Shape.Clone()));
    }

    /// <summary>Disposes the rewards when this instance owns them.</summary>
    public void Dispose()
    {
        if (ownsRewards)
        {
            foreach (var t in terms)
            {
                t.Reward.Dispose();
            }
        }
    }

    private float[] Total(IReadOnlyList<float[]> parts, int batch)
    {
        var total = new float[batch];
        for (var k = 0; k < terms.Length; k++)
        {
            TensorPrimitives.MultiplyAdd(parts[k], terms[k].Weight, total, total);
        }

        return total;
    }
}
