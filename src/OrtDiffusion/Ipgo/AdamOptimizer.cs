namespace OrtDiffusion.Ipgo;

/// <summary>
/// Adam (Kingma and Ba 2014) without weight decay, as <c>torch.optim.Adam</c> steps a float32 parameter:
/// m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g², p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
/// One instance keeps the moments of a list of parameter arrays laid end to end.
/// </summary>
public sealed class AdamOptimizer
{
    /// <summary>Creates the optimiser for parameters of <paramref name="length"/> values in all.</summary>
    public AdamOptimizer(int length, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        if (length < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(length), length, "The parameter count must be ≥ 0.");
        }

        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1) || !(epsilon >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(beta1), $"Adam needs 0 ≤ β₁, β₂ < 1 and ε ≥ 0; got β₁ = {beta1}, β₂ = {beta2}, ε = {epsilon}.");
        }

        Beta1 = beta1;
        Beta2 = beta2;
        Epsilon = epsilon;
        FirstMoment = new float[length];
        SecondMoment = new float[length];
    }

    /// <summary>β₁.</summary>
    public double Beta1 { get; }

    /// <summary>β₂.</summary>
    public double Beta2 { get; }

    /// <summary>ε.</summary>
    public double Epsilon { get; }

    /// <summary>Steps taken (t).</summary>
    public long Steps { get; private set; }

    /// <summary>m, the first-moment estimate (one value per parameter, in order).</summary>
    public float[] FirstMoment { get; }

    /// <summary>v, the second-moment estimate.</summary>
    public float[] SecondMoment { get; }

    /// <summary>Restores the state saved from another optimiser (moments are copied).</summary>
    public void Restore(long steps, ReadOnlySpan<float> firstMoment, ReadOnlySpan<float> secondMoment)
    {
        if (steps < 0 || firstMoment.Length != FirstMoment.Length || secondMoment.Length != SecondMoment.Length)
        {
            throw new ArgumentException($"Adam state for {FirstMoment.Length} parameters needs that many moments and a step count ≥ 0; got {firstMoment.Length}, {secondMoment.Length} and {steps}.");
        }

        Steps = steps;
        firstMoment.CopyTo(FirstMoment);
        secondMoment.CopyTo(SecondMoment);
    }

    /// <summary>One step over <paramref name="parameters"/> with their <paramref name="gradients"/> (same lengths, in order).</summary>
    public void Step(IReadOnlyList<float[]> parameters, IReadOnlyList<float[]> gradients, double learningRate)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        ArgumentNullException.ThrowIfNull(gradients);
        if (parameters.Count != gradients.Count || parameters.Sum(p => p.Length) != FirstMoment.Length
            || parameters.Zip(gradients).Any(pg => pg.First.Length != pg.Second.Length))
        {
            throw new ArgumentException($"Adam was made for {FirstMoment.Length} parameters; the parameters and gradients given do not match that.");
        }

        Steps++;

        // PyTorch computes the scalars in double and applies them to float32 tensors.
        var bias1 = 1 - Math.Pow(Beta1, Steps);
        var bias2Sqrt = (float)Math.Sqrt(1 - Math.Pow(Beta2, Steps));
        var stepSize = (float)(learningRate / bias1);
        float b1 = (float)Beta1, c1 = (float)(1 - Beta1), b2 = (float)Beta2, c2 = (float)(1 - Beta2), eps = (float)Epsilon;
        var offset = 0;
        for (var group = 0; group < parameters.Count; group++)
        {
            var p = parameters[group];
            var g = gradients[group];
            for (var i = 0; i < p.Length; i++)
            {
                ref var m = ref FirstMoment[offset + i];
                ref var v = ref SecondMoment[offset + i];
                m = (m * b1) + (c1 * g[i]);
                v = (v * b2) + (c2 * g[i] * g[i]);
                var denominator = (MathF.Sqrt(v) / bias2Sqrt) + eps;
                p[i] += -stepSize * (m / denominator);
            }

            offset += p.Length;
        }
    }
}
