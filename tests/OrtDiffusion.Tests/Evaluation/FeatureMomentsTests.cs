using OrtDiffusion.Evaluation;
using OrtDiffusion.IO;

namespace OrtDiffusion.Tests.Evaluation;

public sealed class FeatureMomentsTests
{
    [Theory]
    [InlineData("wide", 1)]
    [InlineData("singular", 2)]
    [InlineData("tiny_zoo_like", 1)]
    public void Mean_and_covariance_equal_numpys(string name, int side)
    {
        // Expected: numpy's x.mean(axis=0) and np.cov(x, rowvar=False) on the same float32 features (make_fid_fixture.py).
        var got = FidFixtures.Moments(FidFixtures.Features(name, side)).ToGaussian();
        var want = FidFixtures.Statistics(name, side);
        var scale = want.Covariance.Max(Math.Abs);
        Assert.All(got.Mean.Zip(want.Mean), p => Assert.Equal(p.Second, p.First, 1e-12));
        Assert.All(got.Covariance.Zip(want.Covariance), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-12 * scale, $"{p.First:R} vs {p.Second:R}"));
    }

    [Fact]
    public void Moments_of_parts_add_up_to_the_moments_of_the_whole()
    {
        var rows = FidFixtures.Features("wide", 1);
        var whole = FidFixtures.Moments(rows);
        var sum = FidFixtures.Moments(rows[..40]);
        sum.Add(FidFixtures.Moments(rows[40..100]));
        sum.Add(FidFixtures.Moments(rows[100..]));
        Assert.Equal(whole.Count, sum.Count);
        Assert.All(whole.SumOfProducts.Zip(sum.SumOfProducts), p => Assert.Equal(p.First, p.Second, 1e-12 * Math.Max(1, Math.Abs(p.First))));
        var fidWhole = FrechetDistance.Compute(FidFixtures.Statistics("wide", 2), whole.ToGaussian()).Distance;
        var fidSum = FrechetDistance.Compute(FidFixtures.Statistics("wide", 2), sum.ToGaussian()).Distance;
        Assert.Equal(fidWhole, fidSum, 1e-10 * fidWhole);
    }

    [Fact]
    public void Saved_moments_load_back_exactly_and_carry_pytorch_fid_statistics()
    {
        using var dir = new TempFolder();
        var moments = FidFixtures.Moments(FidFixtures.Features("full_rank", 1));
        var path = dir.File("stats.npz");
        moments.Save(path);
        var back = FeatureMoments.Load(path);
        Assert.Equal(moments.Count, back.Count);
        Assert.Equal(moments.Sum, back.Sum);
        Assert.Equal(moments.SumOfProducts, back.SumOfProducts);
        var gaussian = GaussianStatistics.Load(path); // the mu/sigma pytorch-fid reads
        Assert.Equal(moments.ToGaussian().Covariance, gaussian.Covariance);
        Assert.Equal(60, gaussian.Count);

        var before = File.ReadAllBytes(path);
        moments.Save(path);
        Assert.Equal(before, File.ReadAllBytes(path)); // fixed timestamps: equal arrays, equal bytes
    }

    [Fact]
    public void Bad_features_are_refused()
    {
        var moments = new FeatureMoments(3);
        Assert.Contains("3", Assert.Throws<ArgumentException>(() => moments.Add(new float[2])).Message);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => moments.Add([1, float.NaN, 0])).Message);
        moments.Add([1, 2, 3]);
        Assert.Contains("at least two", Assert.Throws<InvalidOperationException>(() => moments.ToGaussian()).Message);
        Assert.Throws<ArgumentException>(() => moments.Add(new FeatureMoments(4)));
    }

    [Fact]
    public void Npz_files_written_by_numpy_are_read_stored_and_deflated()
    {
        // fid_cases.npz was written by np.savez (stored entries), fid_cases_compressed.npz by np.savez_compressed (deflated).
        var stored = NpzFile.Read(Fixtures.Path("evaluation", "fid_cases.npz"));
        var deflated = NpzFile.Read(Fixtures.Path("evaluation", "fid_cases_compressed.npz"));
        Assert.Equal(["mu_full_rank_1", "x_singular_1"], deflated.Keys.Order());
        Assert.Equal(stored["mu_full_rank_1"].GetData<double>(), deflated["mu_full_rank_1"].GetData<double>());
        Assert.Equal(stored["x_singular_1"].GetData<float>(), deflated["x_singular_1"].GetData<float>());
        Assert.Equal([5L, 8L], deflated["x_singular_1"].Shape);
    }

    [Fact]
    public void Npz_errors_name_the_file_and_the_problem()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("not.npz"), "hello");
        Assert.Contains("not.npz", Assert.Throws<InvalidDataException>(() => NpzFile.Read(dir.File("not.npz"))).Message);
        Assert.Throws<FileNotFoundException>(() => NpzFile.Read(dir.File("missing.npz")));
        NpzFile.Write(dir.File("a.npz"), [KeyValuePair.Create("x", NpyArray.Create(new[] { 1.0 }, 1))]);
        var e = Assert.Throws<InvalidDataException>(() => GaussianStatistics.Load(dir.File("a.npz")));
        Assert.Contains("no array 'mu'", e.Message);
        Assert.Throws<ArgumentException>(() => NpzFile.Write(dir.File("b.npz"), [KeyValuePair.Create("a/b", NpyArray.Create(new[] { 1.0 }, 1))]));
    }
}
