using OrtDiffusion.Evaluation;
using OrtDiffusion.Tests.Cli;

namespace OrtDiffusion.Tests.Evaluation;

[Collection(EvaluationZooCollection.Name)]
public sealed class EvalCommandTests(EvaluationZoo zoo)
{
    private string[] Args(string output, params string[] extra) =>
        ["eval", "--model", zoo.Zoo.StableDiffusion, "--prompts", zoo.PromptFile, .. extra.Contains("--seeds") ? Array.Empty<string>() : ["--seeds", "0-1"],
         "--steps", "2", "--scheduler", "ddim", "--width", "64", "--height", "64", "--metric", zoo.Clip, "--out", output, .. extra];

    [Fact]
    public void Two_shards_and_a_merge_from_the_command_line()
    {
        var a = zoo.NewFolder("cli0");
        var b = zoo.NewFolder("cli1");
        var (code, output) = CliRunner.Run(Args(a, "--shard", "0/2", "--metric", "fid", "--fid-model", zoo.Zoo.Fid));
        Assert.True(code == 0, output);
        Assert.Contains("[2/2] fixed/0-1", output);
        Assert.Contains("| fixed | 2 |", output);
        (code, output) = CliRunner.Run(Args(b, "--shard", "1/2", "--metric", "fid", "--fid-model", zoo.Zoo.Fid));
        Assert.True(code == 0, output);

        var merged = zoo.NewFolder("climerged");
        (code, output) = CliRunner.Run("eval", "merge", a, b, "--out", merged, "--fid-reference", zoo.ReferenceFolder, "--fid-model", zoo.Zoo.Fid);
        Assert.True(code == 0, output);
        Assert.Contains("merged 2 shard folder(s)", output);
        Assert.Contains("| fixed | 4 |", output);
        Assert.Contains("FID against 4 reference images", output);
        Assert.Equal(4, RunComparison.Items(merged).Count);

        // Rerunning a finished shard resumes it and generates nothing.
        (code, output) = CliRunner.Run(Args(a, "--shard", "0/2", "--metric", "fid", "--fid-model", zoo.Zoo.Fid));
        Assert.True(code == 0, output);
        Assert.Contains("0 item(s) generated, 2 already finished", output);
    }

    [Fact]
    public void Fid_stats_writes_the_statistics_of_a_folder_of_pngs()
    {
        using var dir = new TempFolder();
        var (code, output) = CliRunner.Run("eval", "fid-stats", "--fid-model", zoo.Zoo.Fid, "--images", zoo.ReferenceFolder, "--out", dir.File("ref.npz"));
        Assert.True(code == 0, output);
        Assert.Contains("4 images, 64 features", output);
        using var fid = FidFeatureExtractor.Load(zoo.Zoo.Fid);
        var expected = FidReference.Load(zoo.ReferenceFolder, fid);
        var written = GaussianStatistics.Load(dir.File("ref.npz"));
        Assert.Equal(expected.Mean, written.Mean);
        Assert.Equal(expected.Covariance, written.Covariance);
    }

    [Theory]
    [InlineData("--seeds", "x", "--seeds: Seeds 'x'")]
    [InlineData("--shard", "3/3", "--shard: Shard '3/3'")]
    [InlineData("--method", "magic", "unknown method 'magic'")]
    [InlineData("--method", "date:every=2", "DATE needs reward=DIR")]
    [InlineData("--metric", "fid", "--metric fid needs --fid-model")]
    [InlineData("--limit", "0", "--limit must be at least 1")]
    public void Bad_options_exit_with_one_clear_line(string option, string value, string message)
    {
        var folder = zoo.NewFolder("bad");
        var (code, output) = CliRunner.Run(Args(folder, option, value));
        Assert.Equal(1, code);
        Assert.Contains(message, output);
        Assert.False(Directory.Exists(folder) && File.Exists(Path.Combine(folder, "results.jsonl")));
    }

    [Fact]
    public void Merging_something_that_is_not_a_run_folder_is_an_error()
    {
        using var dir = new TempFolder();
        var (code, output) = CliRunner.Run("eval", "merge", dir.Path, "--out", dir.File("m"));
        Assert.Equal(1, code);
        Assert.Contains("is not an ortdiff eval run folder", output);
    }
}
