using System.Numerics.Tensors;
using OrtDiffusion.IO;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// Sufficient statistics of a set of feature vectors for FID: the count n, Σx and Σxxᵀ, in float64. Two sets'
/// moments add exactly (up to float64 rounding), which is what makes sharded evaluation mergeable: the FID of the
/// union is computed from the summed moments, not estimated from per-shard FIDs.
/// </summary>
public sealed class FeatureMoments
{
    private readonly double[] row;

    /// <summary>Empty moments of <paramref name="dimension"/>-dimensional features.</summary>
    public FeatureMoments(int dimension)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dimension, 1);
        Dimension = dimension;
        Sum = new double[dimension];
        SumOfProducts = new double[(long)dimension * dimension];
        row = new double[dimension];
    }

    /// <summary>D.</summary>
    public int Dimension { get; }

    /// <summary>n, the number of vectors added.</summary>
    public long Count { get; private set; }

    /// <summary>Σx, length D.</summary>
    public double[] Sum { get; }

    /// <summary>Σxxᵀ, D × D row-major (symmetric).</summary>
    public double[] SumOfProducts { get; }

    /// <summary>Adds one feature vector.</summary>
    /// <exception cref="ArgumentException">Wrong length or a value that is not finite.</exception>
    public void Add(ReadOnlySpan<float> features)
    {
        if (features.Length != Dimension)
        {
            throw new ArgumentException($"A feature vector has {features.Length} values; these moments are of {Dimension}.", nameof(features));
        }

        for (var i = 0; i < Dimension; i++)
        {
            if (!float.IsFinite(features[i]))
            {
                throw new ArgumentException($"Feature {i} is {features[i]}; FID needs finite features.", nameof(features));
            }

            row[i] = features[i];
        }

        TensorPrimitives.Add(Sum, row, Sum);
        for (var i = 0; i < Dimension; i++)
        {
            var target = SumOfProducts.AsSpan(i * Dimension, Dimension);
            TensorPrimitives.MultiplyAdd(row, row[i], target, target);
        }

        Count++;
    }

    /// <summary>Adds another set's moments (the union of the two sets).</summary>
    /// <exception cref="ArgumentException">The dimensions differ.</exception>
    public void Add(FeatureMoments other)
    {
        ArgumentNullException.ThrowIfNull(other);
        if (other.Dimension != Dimension)
        {
            throw new ArgumentException($"Cannot add {other.Dimension}-dimensional moments to {Dimension}-dimensional ones (different FID networks?).", nameof(other));
        }

        TensorPrimitives.Add(Sum, other.Sum, Sum);
        TensorPrimitives.Add(SumOfProducts, other.SumOfProducts, SumOfProducts);
        Count += other.Count;
    }

    /// <summary>μ = Σx / n and Σ = (Σxxᵀ − n μμᵀ) / (n − 1), the unbiased covariance numpy.cov gives.</summary>
    /// <exception cref="InvalidOperationException">Fewer than two vectors.</exception>
    public GaussianStatistics ToGaussian()
    {
        if (Count < 2)
        {
            throw new InvalidOperationException($"A covariance needs at least two feature vectors; there are {Count}.");
        }

        var mean = new double[Dimension];
        TensorPrimitives.Divide(Sum, Count, mean);
        var covariance = new double[SumOfProducts.Length];
        for (var i = 0; i < Dimension; i++)
        {
            var source = SumOfProducts.AsSpan(i * Dimension, Dimension);
            var target = covariance.AsSpan(i * Dimension, Dimension);
            TensorPrimitives.MultiplyAdd(mean, -Count * mean[i], source, target);
            TensorPrimitives.Divide(target, Count - 1, target);
        }

        return new GaussianStatistics(mean, covariance, Count);
    }

    /// <summary>Writes <c>n</c>, <c>sum</c>, <c>sum_outer</c> and, with two or more vectors, <c>mu</c> and <c>sigma</c> (usable as a pytorch-fid statistics file).</summary>
    public void Save(string path)
    {
        var arrays = new List<KeyValuePair<string, NpyArray>>
        {
            KeyValuePair.Create("n", NpyArray.Create(new[] { Count }, 1)),
            KeyValuePair.Create("sum", NpyArray.Create(Sum, Dimension)),
            KeyValuePair.Create("sum_outer", NpyArray.Create(SumOfProducts, Dimension, Dimension)),
        };
        if (Count >= 2)
        {
            var gaussian = ToGaussian();
            arrays.Add(KeyValuePair.Create("mu", NpyArray.Create(gaussian.Mean, Dimension)));
            arrays.Add(KeyValuePair.Create("sigma", NpyArray.Create(gaussian.Covariance, Dimension, Dimension)));
        }

        NpzFile.Write(path, arrays);
    }

    /// <summary>Reads moments written by <see cref="Save"/>.</summary>
    /// <exception cref="InvalidDataException">Arrays missing or of inconsistent shapes.</exception>
    public static FeatureMoments Load(string path)
    {
        var arrays = NpzFile.Read(path);
        var n = NpzFile.Require(arrays, "n", path);
        var sum = NpzFile.Require(arrays, "sum", path);
        var outer = NpzFile.Require(arrays, "sum_outer", path);
        if (sum.Shape.Length != 1 || outer.Shape.Length != 2 || outer.Shape[0] != sum.Shape[0] || outer.Shape[1] != sum.Shape[0] || n.Length != 1)
        {
            throw new InvalidDataException($"'{path}': n {n.ShapeText}, sum {sum.ShapeText} and sum_outer {outer.ShapeText} must be [1], [D] and [D, D].");
        }

        var moments = new FeatureMoments((int)sum.Shape[0]);
        GaussianStatistics.ToDouble(sum).CopyTo(moments.Sum, 0);
        GaussianStatistics.ToDouble(outer).CopyTo(moments.SumOfProducts, 0);
        moments.Count = Convert.ToInt64(n.Data.GetValue(0));
        if (moments.Count < 0)
        {
            throw new InvalidDataException($"'{path}': n = {moments.Count} is negative.");
        }

        return moments;
    }
}
