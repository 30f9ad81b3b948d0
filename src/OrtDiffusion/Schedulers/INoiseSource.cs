namespace OrtDiffusion.Schedulers;

/// <summary>
/// Standard normal noise for stochastic steps (DDIM with η &gt; 0, Euler with churn).
/// A scheduler calls <see cref="Fill"/> at most once per step, for the whole batch.
/// </summary>
public interface INoiseSource
{
    /// <summary>Fills <paramref name="destination"/> with independent N(0, 1) samples.</summary>
    void Fill(Span<float> destination);
}
