using BenchmarkDotNet.Attributes;
using MathNet.Numerics.LinearAlgebra;
using OrtDiffusion.Evaluation;

namespace OrtDiffusion.Benchmarks.Evaluation;

/// <summary>
/// The FID arithmetic at Inception's width (D = 2048): the distance of one method's statistics to a reference whose
/// covariance is already factorised (two D×D products and the eigenvalues of a D×D symmetric matrix; what each extra
/// method of a summary costs), and from scratch (plus the reference's pivoted Cholesky factor), on covariances of
/// 2100 random vectors (full rank, as with thousands of images).
/// </summary>
public class FrechetBenchmarks
{
    private const int Dimension = 2048;

    private GaussianStatistics reference = null!;
    private GaussianStatistics other = null!;
    private FrechetDistance prepared = null!;

    [GlobalSetup]
    public void Setup()
    {
        reference = Random(1, 0);
        other = Random(2, 0.1);
        prepared = new FrechetDistance(reference);
    }

    [Benchmark(Description = "FID, D=2048, reference factor cached")]
    public double ToPrepared() => prepared.To(other).Distance;

    [Benchmark(Description = "FID, D=2048, from scratch")]
    public double FromScratch() => FrechetDistance.Compute(reference, other).Distance;

    private static GaussianStatistics Random(int seed, double shift)
    {
        var rng = new Random(seed);
        var samples = Matrix<double>.Build.Dense(Dimension, 2100, (_, _) => rng.NextDouble() - 0.5);
        var covariance = samples * samples.Transpose() / 2099;
        return new GaussianStatistics([.. Enumerable.Range(0, Dimension).Select(i => shift * Math.Sin(i))], covariance.ToRowMajorArray());
    }
}
