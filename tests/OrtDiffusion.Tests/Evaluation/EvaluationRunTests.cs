using System.Globalization;
using System.Text;
using System.Xml.Linq;
using OrtDiffusion.Evaluation;
using OrtDiffusion.IO;

namespace OrtDiffusion.Tests.Evaluation;

[Collection(EvaluationZooCollection.Name)]
public sealed class EvaluationRunTests(EvaluationZoo zoo)
{
    [Fact]
    public void Three_shards_merged_equal_the_unsharded_run()
    {
        var shards = Enumerable.Range(0, 3).Select(i => zoo.NewFolder($"shard{i}")).ToList();
        var counts = new List<int>();
        for (var i = 0; i < 3; i++)
        {
            var result = new EvaluationRunner(zoo.Settings(shards[i], new ShardSpec(i, 3))).Run();
            counts.Add(result.Generated);
        }

        Assert.Equal([1, 1, 2], counts); // 4 items: ⌊4i/3⌋ → [0, 1), [1, 2), [2, 4) — shard 1 starts inside a prompt
        var merged = zoo.NewFolder("merged");
        var merge = EvaluationMerger.Merge(shards, merged);
        Assert.Equal(0, merge.MissingItems);
        Assert.Equal(0, merge.RecomputedStatistics); // the shards' own stats/*.npz were summed
        Assert.Equal(4, merge.Summary.Items);
        RunComparison.AssertSame(zoo.Baseline.Folder, merged);

        // The summed moments equal the unsharded run's up to float64 rounding.
        foreach (var label in new[] { "fixed", "date" })
        {
            var whole = FeatureMoments.Load(Path.Combine(zoo.Baseline.Folder, "stats", label + ".npz"));
            var sum = FeatureMoments.Load(Path.Combine(merged, "stats", label + ".npz"));
            Assert.Equal(whole.Count, sum.Count);
            Assert.All(whole.SumOfProducts.Zip(sum.SumOfProducts), p => Assert.Equal(p.First, p.Second, 1e-12 * Math.Max(1, Math.Abs(p.First))));
        }
    }

    [Fact]
    public void A_run_cancelled_after_three_items_and_resumed_equals_an_uninterrupted_one()
    {
        var folder = zoo.NewFolder("cancelled");
        using var cancel = new CancellationTokenSource();
        var finished = 0;
        var progress = new Callback(p =>
        {
            if (p.Key is not null && ++finished == 3)
            {
                cancel.Cancel();
            }
        });
        Assert.ThrowsAny<OperationCanceledException>(() => new EvaluationRunner(zoo.Settings(folder)).Run(progress, cancel.Token));
        Assert.Equal(3, File.ReadAllLines(Path.Combine(folder, ResultsLog.FileName)).Length);
        Assert.False(File.Exists(Path.Combine(folder, SummaryWriter.MarkdownFile))); // a summary only for a finished shard

        var resumed = new EvaluationRunner(zoo.Settings(folder)).Run();
        Assert.Equal((1, 3, 0L), (resumed.Generated, resumed.Resumed, resumed.TornBytes));
        RunComparison.AssertSame(zoo.Baseline.Folder, folder);

        // Same features added in the same order: the statistics files are identical, byte for byte.
        foreach (var label in new[] { "fixed", "date" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(zoo.Baseline.Folder, "stats", label + ".npz")), File.ReadAllBytes(Path.Combine(folder, "stats", label + ".npz")));
        }

        var again = new EvaluationRunner(zoo.Settings(folder)).Run();
        Assert.Equal((0, 4), (again.Generated, again.Resumed)); // nothing left to do
    }

    [Fact]
    public void A_torn_last_line_is_cut_off_and_its_item_redone()
    {
        var folder = zoo.NewFolder("torn");
        using var cancel = new CancellationTokenSource();
        var finished = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => new EvaluationRunner(zoo.Settings(folder)).Run(
            new Callback(p =>
            {
                if (p.Key is not null && ++finished == 2)
                {
                    cancel.Cancel();
                }
            }),
            cancel.Token));

        // What a kill in the middle of appending the third line leaves: its image, and part of its line.
        var log = Path.Combine(folder, ResultsLog.FileName);
        var third = RunComparison.Items(zoo.Baseline.Folder)[2];
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(folder, third.Image))!);
        File.Copy(Path.Combine(zoo.Baseline.Folder, third.Image), Path.Combine(folder, third.Image));
        var partial = third.ToJsonLine()[..57];
        using (var stream = new FileStream(log, FileMode.Append))
        {
            stream.Write(partial);
        }

        var resumed = new EvaluationRunner(zoo.Settings(folder)).Run();
        Assert.Equal((2, 2, 57L), (resumed.Generated, resumed.Resumed, resumed.TornBytes));
        Assert.Equal(4, File.ReadAllLines(log).Length);
        Assert.EndsWith("\n", File.ReadAllText(log), StringComparison.Ordinal);
        RunComparison.AssertSame(zoo.Baseline.Folder, folder);
    }

    [Fact]
    public void A_broken_line_followed_by_others_is_reported_not_dropped()
    {
        var folder = zoo.NewFolder("corrupt");
        Directory.CreateDirectory(folder);
        var settings = zoo.Settings(folder);
        var line = Encoding.UTF8.GetString(RunComparison.Items(zoo.Baseline.Folder)[0].ToJsonLine());
        new EvaluationRunner(settings with { Prompts = ["p"], Methods = ["fixed"], Seeds = [0], MetricRewards = [], FidModel = null, FidReference = null }).Run();
        File.WriteAllText(Path.Combine(folder, ResultsLog.FileName), "{\"index\": 0, garbage\n" + line);
        var e = Assert.Throws<InvalidDataException>(() => new EvaluationRunner(settings with { Prompts = ["p"], Methods = ["fixed"], Seeds = [0], MetricRewards = [], FidModel = null, FidReference = null }).Run());
        Assert.Contains("line 1", e.Message);
        Assert.Contains(ResultsLog.FileName, e.Message);
    }

    [Fact]
    public void A_folder_refuses_a_rerun_with_other_settings_or_another_shard()
    {
        var folder = zoo.NewFolder("mismatch");
        var small = zoo.Settings(folder) with { Methods = ["fixed"], Seeds = [0], MetricRewards = [], FidModel = null, FidReference = null, Steps = 2 };
        new EvaluationRunner(small).Run();
        var seeds = Assert.Throws<InvalidOperationException>(() => new EvaluationRunner(small with { Seeds = [0, 1] }).Run());
        Assert.Contains("seeds: \"0\" there, \"0-1\" here", seeds.Message);
        var steps = Assert.Throws<InvalidOperationException>(() => new EvaluationRunner(small with { Steps = 3 }).Run());
        Assert.Contains("sampling", steps.Message);
        var shard = Assert.Throws<InvalidOperationException>(() => new EvaluationRunner(small with { Shard = new ShardSpec(1, 2) }).Run());
        Assert.Contains("holds shard 0/1, not 1/2", shard.Message);
        var labels = Assert.Throws<FormatException>(() => new EvaluationRunner(small with { Methods = ["fixed", "fixed"] }).Run());
        Assert.Contains("Two methods have the label 'fixed'", labels.Message);
    }

    [Fact]
    public void Merging_needs_every_shard_unless_partial_results_are_allowed()
    {
        var settings = zoo.Settings("unused") with { Methods = ["fixed"], Seeds = [0, 1], MetricRewards = [zoo.Clip], FidModel = null, FidReference = null, Steps = 2 };
        var shards = Enumerable.Range(0, 3).Select(i => zoo.NewFolder($"p{i}")).ToList();
        foreach (var i in new[] { 0, 2 })
        {
            new EvaluationRunner(settings with { OutputFolder = shards[i], Shard = new ShardSpec(i, 3) }).Run();
        }

        var merged = zoo.NewFolder("partial");
        var missing = Assert.Throws<InvalidOperationException>(() => EvaluationMerger.Merge([shards[0], shards[2]], merged));
        Assert.Contains("shard 1/3 is not among the folders", missing.Message);
        var repeated = Assert.Throws<InvalidOperationException>(() => EvaluationMerger.Merge([shards[0], shards[0]], merged));
        Assert.Contains("given twice", repeated.Message);
        Assert.Throws<InvalidOperationException>(() => EvaluationMerger.Merge([shards[0], zoo.Baseline.Folder], merged)); // another run

        var partial = EvaluationMerger.Merge([shards[0], shards[2]], merged, new MergeOptions { AllowPartial = true });
        Assert.Equal((3L, 1L, 4L), (partial.Summary.Items, partial.MissingItems, partial.Summary.ExpectedItems)); // 4 items: ⌊4i/3⌋ gives shard 1 only #1
        Assert.Contains("merged 2 of 3 shards: 3 of 4 items", File.ReadAllText(Path.Combine(merged, SummaryWriter.MarkdownFile)));
        Assert.All(RunComparison.Items(merged), i => Assert.True(File.Exists(Path.Combine(merged, i.Image)), i.Image)); // paths point at the shards
    }

    [Fact]
    public void Summary_tables_and_plots_hold_the_means_of_the_results()
    {
        var folder = zoo.Baseline.Folder;
        var items = RunComparison.Items(folder);
        var markdown = File.ReadAllText(Path.Combine(folder, SummaryWriter.MarkdownFile));
        var csv = File.ReadAllLines(Path.Combine(folder, SummaryWriter.CsvFile));
        Assert.Equal("| method | n | time (s) | time (×) | FID | CLIP | ImageReward |", markdown.Split('\n')[0]);
        Assert.Equal("method,spec,n,time_s,time_s_std,fid,CLIP,CLIP_std,ImageReward,ImageReward_std", csv[0]);
        foreach (var method in new[] { "fixed", "date" })
        {
            // Means recomputed here from results.jsonl, in item order.
            var mine = items.Where(i => i.Method == method).ToList();
            Assert.Equal(2, mine.Count);
            var row = markdown.Split('\n').Single(l => l.StartsWith($"| {method} |", StringComparison.Ordinal));
            var csvRow = csv.Single(l => l.StartsWith(method + ",", StringComparison.Ordinal));
            foreach (var metric in new[] { "CLIP", "ImageReward" })
            {
                var mean = mine.Sum(i => i.Metric(metric)!.Value) / mine.Count;
                Assert.Contains(mean.ToString("F4", CultureInfo.InvariantCulture), row);
                Assert.Contains(mean.ToString("R", CultureInfo.InvariantCulture), csvRow);
                var svg = File.ReadAllText(Path.Combine(folder, "plots", metric + ".svg"));
                Assert.Contains(mean.ToString("F4", CultureInfo.InvariantCulture), svg);
                Assert.Contains(">" + method + "<", svg);
                XDocument.Parse(svg);
            }

            var time = mine.Sum(i => i.TimeSeconds) / mine.Count;
            Assert.Contains(time.ToString("F3", CultureInfo.InvariantCulture), row);

            // The FID statistics' mean is the mean of the per-item features.
            var features = mine.Select(i => NpyFile.Read(Path.Combine(folder, i.Features!)).ToFloat32()).ToList();
            var stats = NpzFile.Read(Path.Combine(folder, "stats", method + ".npz"));
            var mu = stats["mu"].GetData<double>();
            Assert.Equal(64, mu.Length);
            for (var d = 0; d < mu.Length; d++)
            {
                Assert.Equal(features.Sum(f => (double)f[d]) / features.Count, mu[d], 1e-12);
            }
        }

        Assert.Contains("whole run: 4 of 4 items", markdown);
        Assert.Contains("FID against 4 reference images", markdown);
        foreach (var plot in new[] { "time.svg", "fid.svg", "reward-per-step.svg" })
        {
            XDocument.Parse(File.ReadAllText(Path.Combine(folder, "plots", plot)));
        }

        // DATE (every 2 of 4 DDIM steps) traced h(x̄₀) at steps 0 and 2 of every image.
        var date = items.Where(i => i.Method == "date").ToList();
        Assert.All(date, i => Assert.Equal([0, 2], i.Trace!.Steps));
        Assert.All(items.Where(i => i.Method == "fixed"), i => Assert.Null(i.Trace));
        var step2 = date.Average(i => i.Trace!.Values[1]);
        Assert.Contains(step2.ToString("G6", CultureInfo.InvariantCulture), File.ReadAllText(Path.Combine(folder, "plots", "reward-per-step.svg")));
    }

    [Fact]
    public void Images_carry_their_generation_parameters_and_method()
    {
        var item = RunComparison.Items(zoo.Baseline.Folder).First(i => i.Method == "date");
        var png = OrtDiffusion.Imaging.PngReader.Read(Path.Combine(zoo.Baseline.Folder, item.Image));
        Assert.Equal(item.Prompt, png.Parameters!.Prompt);
        Assert.Equal(item.Seed, png.Parameters.Seed);
        Assert.StartsWith("date:reward=", png.Parameters.GetExtra("Eval method"));
        Assert.Equal((64, 64), (png.Image.Width, png.Image.Height));
    }

    private sealed class Callback(Action<EvaluationProgress> report) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value) => report(value);
    }
}
