using OrtDiffusion.IO;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// A Gaussian fitted to features: mean μ and covariance Σ (unbiased, as <c>numpy.cov(features, rowvar=False)</c>),
/// in float64. Stored as pytorch-fid stores its statistics: an <c>.npz</c> with <c>mu [D]</c> and <c>sigma [D, D]</c>.
/// </summary>
public sealed class GaussianStatistics
{
    /// <summary>Wraps a mean and a row-major covariance.</summary>
    /// <exception cref="ArgumentException">The sizes do not match, or a value is not finite.</exception>
    public GaussianStatistics(double[] mean, double[] covariance, long count = 0)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(covariance);
        if (mean.Length == 0 || covariance.Length != (long)mean.Length * mean.Length)
        {
            throw new ArgumentException($"A mean of {mean.Length} values needs a {mean.Length}×{mean.Length} covariance; got {covariance.Length} values.");
        }

        if (!mean.All(double.IsFinite) || !covariance.All(double.IsFinite))
        {
            throw new ArgumentException("The mean or the covariance holds a value that is not finite.");
        }

        Mean = mean;
        Covariance = covariance;
        Count = count;
    }

    /// <summary>D, the feature dimension.</summary>
    public int Dimension => Mean.Length;

    /// <summary>μ, length D.</summary>
    public double[] Mean { get; }

    /// <summary>Σ, D × D row-major.</summary>
    public double[] Covariance { get; }

    /// <summary>Number of feature vectors behind the statistics (0 when unknown, e.g. read from a pytorch-fid file).</summary>
    public long Count { get; }

    /// <summary>Reads <c>mu</c> and <c>sigma</c> (and <c>n</c> when present) from an <c>.npz</c> file.</summary>
    /// <exception cref="InvalidDataException">Arrays missing, of the wrong shapes, or not finite.</exception>
    public static GaussianStatistics Load(string path)
    {
        var arrays = NpzFile.Read(path);
        var mu = NpzFile.Require(arrays, "mu", path);
        var sigma = NpzFile.Require(arrays, "sigma", path);
        if (mu.Shape.Length != 1 || sigma.Shape.Length != 2 || sigma.Shape[0] != mu.Shape[0] || sigma.Shape[1] != mu.Shape[0])
        {
            throw new InvalidDataException($"'{path}': mu {mu.ShapeText} and sigma {sigma.ShapeText} must be [D] and [D, D].");
        }

        long count = arrays.TryGetValue("n", out var n) ? Convert.ToInt64(n.Data.GetValue(0)) : 0;
        try
        {
            return new GaussianStatistics(ToDouble(mu), ToDouble(sigma), count);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
    }

    /// <summary>Writes <c>mu</c>, <c>sigma</c> and <c>n</c> (float64, int64) as an <c>.npz</c> that pytorch-fid reads.</summary>
    public void Save(string path) => NpzFile.Write(path, Arrays());

    /// <summary>The arrays <see cref="Save"/> writes.</summary>
    internal List<KeyValuePair<string, NpyArray>> Arrays() =>
    [
        KeyValuePair.Create("mu", NpyArray.Create(Mean, Dimension)),
        KeyValuePair.Create("sigma", NpyArray.Create(Covariance, Dimension, Dimension)),
        KeyValuePair.Create("n", NpyArray.Create(new[] { Count }, 1)),
    ];

    internal static double[] ToDouble(NpyArray array) => array.Data switch
    {
        double[] d => d,
        float[] f => Array.ConvertAll(f, v => (double)v),
        _ => throw new InvalidDataException($"Expected float64 or float32 statistics, found {array}."),
    };
}
