using OrtDiffusion.Tensors;

namespace OrtDiffusion.Ipgo;

/// <summary>
/// IPGO's conformity penalty: how far the sequence mean of the embedding c = [P; E; S] strays from that of the
/// prompt's own embedding E, <c>Σ_d |mean_s(c)_d − mean_s(E)_d| / D</c>.
/// </summary>
public static class ConformityPenalty
{
    /// <summary>The penalty of <paramref name="conditional"/> <c>[1, N, D]</c> against <paramref name="prompt"/> <c>[1, L, D]</c>.</summary>
    public static double Value(FloatTensor conditional, FloatTensor prompt) => Compute(conditional, prompt, []);

    /// <summary>
    /// The penalty, and its gradient with respect to every row of <paramref name="conditional"/> written to
    /// <paramref name="gradient"/> (N·D values): sign(mean_s(c)_d − mean_s(E)_d) / (D·N), with sign(0) = 0 as PyTorch's |·|.
    /// </summary>
    public static double Compute(FloatTensor conditional, FloatTensor prompt, Span<float> gradient)
    {
        ArgumentNullException.ThrowIfNull(conditional);
        ArgumentNullException.ThrowIfNull(prompt);
        if (conditional.Shape.Length != 3 || prompt.Shape.Length != 3 || conditional.Shape[0] != 1 || prompt.Shape[0] != 1 || conditional.Shape[2] != prompt.Shape[2])
        {
            throw new ArgumentException($"The penalty compares embeddings [1, N, D] and [1, L, D]; got {FloatTensor.ShapeText(conditional.Shape)} and {FloatTensor.ShapeText(prompt.Shape)}.");
        }

        var n = (int)conditional.Shape[1];
        var l = (int)prompt.Shape[1];
        var d = (int)conditional.Shape[2];
        if (!gradient.IsEmpty && gradient.Length != n * d)
        {
            throw new ArgumentException($"The gradient needs {n * d} values; got {gradient.Length}.", nameof(gradient));
        }

        var meanC = ColumnMeans(conditional.Data, n, d);
        var meanE = ColumnMeans(prompt.Data, l, d);
        double sum = 0;
        for (var j = 0; j < d; j++)
        {
            var difference = meanC[j] - meanE[j];
            sum += Math.Abs(difference);
            if (!gradient.IsEmpty)
            {
                var g = (float)(Math.Sign(difference) / ((double)d * n));
                for (var s = 0; s < n; s++)
                {
                    gradient[(s * d) + j] = g;
                }
            }
        }

        return sum / d;
    }

    private static double[] ColumnMeans(float[] data, int rows, int d)
    {
        var means = new double[d];
        for (var s = 0; s < rows; s++)
        {
            for (var j = 0; j < d; j++)
            {
                means[j] += data[(s * d) + j];
            }
        }

        for (var j = 0; j < d; j++)
        {
            means[j] /= rows;
        }

        return means;
    }
}
