using System.Security.Cryptography;
using System.Text.Json.Nodes;
using OrtDiffusion.IO;
using OrtDiffusion.Models;

namespace OrtDiffusion.Evaluation;

/// <summary>Settings of <see cref="EvaluationMerger.Merge"/>.</summary>
public sealed record MergeOptions
{
    /// <summary>The FID reference (.npz or folder of PNGs) to use instead of the one the shards cached.</summary>
    public string? FidReference { get; init; }

    /// <summary>The FID network, needed when <see cref="FidReference"/> is a folder of PNGs.</summary>
    public string? FidModel { get; init; }

    /// <summary>Merge even when shards or items are missing (the summary says how many it covers).</summary>
    public bool AllowPartial { get; init; }

    /// <summary>Where the FID network runs when a reference folder must be featurised.</summary>
    public ExecutionOptions Execution { get; init; } = ExecutionOptions.Default;
}

/// <summary>What a merge did.</summary>
/// <param name="Folder">The merged folder.</param>
/// <param name="Summary">The merged summary (also written as files).</param>
/// <param name="Shards">Shard folders merged.</param>
/// <param name="MissingItems">Items of the run that no shard holds (0 for a complete merge).</param>
/// <param name="RecomputedStatistics">Shard statistics files that were missing or stale and were recomputed from the shard's per-item features.</param>
public sealed record MergeResult(string Folder, EvaluationSummary Summary, int Shards, long MissingItems, int RecomputedStatistics);

/// <summary>
/// <c>ortdiff eval merge</c>: combines the folders of the shards of one run into one summary. Results are the union
/// of the shards' lines (checked to belong to each shard's slice), in item order; FID moments (n, Σx, Σxxᵀ per method)
/// are summed, so the merged FID is computed from exactly the statistics one unsharded run would have collected.
/// Images stay where the shards wrote them: the merged <c>results.jsonl</c> points at them with relative paths.
/// </summary>
public static class EvaluationMerger
{
    /// <summary>Merges <paramref name="folders"/> (shard run folders) into <paramref name="output"/>.</summary>
    /// <exception cref="FileNotFoundException">A folder is not a run folder.</exception>
    /// <exception cref="InvalidOperationException">The folders belong to different runs, repeat a shard, or (without <see cref="MergeOptions.AllowPartial"/>) leave items missing.</exception>
    public static MergeResult Merge(IReadOnlyList<string> folders, string output, MergeOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(folders);
        ArgumentException.ThrowIfNullOrEmpty(output);
        options ??= new MergeOptions();
        if (folders.Count == 0)
        {
            throw new ArgumentException("Name at least one shard folder to merge.");
        }

        var inputs = folders.Select(Path.GetFullPath).Select(f => (Folder: f, Manifest: RunManifest.Load(f))).ToList();
        var outputFolder = Path.GetFullPath(output);
        CheckInputs(inputs, outputFolder);
        var first = inputs[0].Manifest;
        var plan = first.Plan();
        var shardCount = first.Shard!.Value.Count;

        Directory.CreateDirectory(outputFolder);
        using var runLock = RunLock.Acquire(outputFolder);
        if (RunManifest.TryLoad(outputFolder) is { Shard: not null })
        {
            throw new InvalidOperationException($"'{outputFolder}' is a shard's run folder; merge into a new folder.");
        }

        var merged = new List<ItemResult>();
        var moments = new Dictionary<string, FeatureMoments>(StringComparer.Ordinal);
        var problems = new List<string>();
        var recomputed = 0;
        foreach (var (folder, manifest) in inputs.OrderBy(i => i.Manifest.Shard!.Value.Index))
        {
            cancellation.ThrowIfCancellationRequested();
            var shard = manifest.Shard!.Value;
            var (start, count) = shard.Slice(plan.Count);
            var items = ResultsLog.Open(Path.Combine(folder, ResultsLog.FileName), repair: false).Latest()
                .Where(i => File.Exists(Path.Combine(folder, i.Image))).OrderBy(i => i.Index).ToList();
            foreach (var item in items)
            {
                if (item.Index < start || item.Index >= start + count || plan.Key(plan[item.Index]) != item.Key)
                {
                    throw new InvalidDataException($"'{folder}' (shard {shard}) holds item {item.Key} (#{item.Index}), which is not in its slice #{start}…#{start + count - 1}.");
                }
            }

            if (items.Count < count)
            {
                problems.Add($"shard {shard} ('{folder}') has {items.Count} of {count} items");
            }

            if (first.Fid)
            {
                recomputed += AddMoments(folder, items, plan.MethodLabels, moments);
            }

            merged.AddRange(items.Select(i => Rebase(i, folder, outputFolder)));
        }

        var present = inputs.Select(i => i.Manifest.Shard!.Value.Index).ToHashSet();
        problems.AddRange(Enumerable.Range(0, shardCount).Where(i => !present.Contains(i)).Select(i => $"shard {i}/{shardCount} is not among the folders"));
        var missing = plan.Count - merged.Count;
        if (missing > 0 && !options.AllowPartial)
        {
            throw new InvalidOperationException($"The merge would miss {missing} of {plan.Count} items: {string.Join("; ", problems)}. Finish the shards (rerunning a shard resumes it) or pass --allow-partial.");
        }

        var reference = first.Fid ? Reference(inputs, outputFolder, options, cancellation) : null;
        var sources = new JsonObject { ["merged_from"] = new JsonArray([.. inputs.Select(i => (JsonNode)JsonValue.Create(i.Folder))]) };
        new RunManifest(first.Identity, null, sources).Save(outputFolder);
        AtomicFile.Write(Path.Combine(outputFolder, ResultsLog.FileName), stream =>
        {
            foreach (var item in merged)
            {
                stream.Write(item.ToJsonLine());
            }
        });
        FidFiles.SaveMoments(outputFolder, moments);
        var summary = EvaluationSummary.Build(first, merged, moments, reference, plan.Count, $"merged {inputs.Count} of {shardCount} shards");
        SummaryWriter.Write(outputFolder, summary);
        return new MergeResult(outputFolder, summary, inputs.Count, missing, recomputed);
    }

    private static void CheckInputs(List<(string Folder, RunManifest Manifest)> inputs, string output)
    {
        var first = inputs[0];
        foreach (var (folder, manifest) in inputs)
        {
            if (manifest.Shard is null)
            {
                throw new InvalidOperationException($"'{folder}' is a merged folder, not a shard; merge the shard folders themselves.");
            }

            if (string.Equals(folder.TrimEnd(Path.DirectorySeparatorChar), output.TrimEnd(Path.DirectorySeparatorChar), StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"The output '{output}' is one of the shard folders; merge into a new folder.");
            }

            if (!RunManifest.SameIdentity(first.Manifest.Identity, manifest.Identity))
            {
                throw new InvalidOperationException($"'{folder}' is from a different evaluation than '{first.Folder}' ({RunManifest.Difference(first.Manifest.Identity, manifest.Identity)}).");
            }

            if (manifest.Shard.Value.Count != first.Manifest.Shard!.Value.Count)
            {
                throw new InvalidOperationException($"'{folder}' is shard {manifest.Shard} but '{first.Folder}' is shard {first.Manifest.Shard}: all shards must split the run the same way.");
            }
        }

        var repeated = inputs.GroupBy(i => i.Manifest.Shard!.Value.Index).FirstOrDefault(g => g.Count() > 1);
        if (repeated is not null)
        {
            throw new InvalidOperationException($"Shard {repeated.Key}/{first.Manifest.Shard!.Value.Count} is given twice: {string.Join(" and ", repeated.Select(r => $"'{r.Folder}'"))}.");
        }
    }

    // Adds the shard's stats/<method>.npz; a file that is missing or does not count the shard's items is recomputed from the features.
    private static int AddMoments(string folder, List<ItemResult> items, IReadOnlyList<string> labels, Dictionary<string, FeatureMoments> total)
    {
        var recomputed = 0;
        foreach (var label in labels)
        {
            var mine = items.Where(i => i.Method == label).ToList();
            if (mine.Count == 0)
            {
                continue;
            }

            var path = FidFiles.StatsPath(folder, label);
            FeatureMoments? moments = File.Exists(path) ? FeatureMoments.Load(path) : null;
            if (moments is null || moments.Count != mine.Count)
            {
                moments = FidFiles.Moments(folder, mine, [label])[label];
                recomputed++;
            }

            if (total.TryGetValue(label, out var sum))
            {
                sum.Add(moments);
            }
            else
            {
                total[label] = moments;
            }
        }

        return recomputed;
    }

    private static GaussianStatistics? Reference(List<(string Folder, RunManifest Manifest)> inputs, string output, MergeOptions options, CancellationToken cancellation)
    {
        if (options.FidReference is { } source)
        {
            return FidFiles.Reference(output, source, () => FidFeatureExtractor.Load(options.FidModel ?? throw new ArgumentException($"The FID reference '{source}' is a folder of images; featurising it needs --fid-model."), options.Execution), cancellation);
        }

        var cached = inputs.Select(i => Path.Combine(i.Folder, FidFiles.ReferenceFile)).Where(File.Exists).ToList();
        if (cached.Count == 0)
        {
            return null;
        }

        var hashes = cached.Select(p => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(p)))).Distinct().ToList();
        if (hashes.Count > 1)
        {
            throw new InvalidOperationException($"The shards used different FID references ({string.Join(", ", cached)}); pass --fid-reference to choose one.");
        }

        var statistics = GaussianStatistics.Load(cached[0]);
        statistics.Save(Path.Combine(output, FidFiles.ReferenceFile));
        return statistics;
    }

    private static ItemResult Rebase(ItemResult item, string folder, string output) => item with
    {
        Image = Relative(output, Path.Combine(folder, item.Image)),
        Features = item.Features is null ? null : Relative(output, Path.Combine(folder, item.Features)),
    };

    private static string Relative(string from, string to) => Path.GetRelativePath(from, to).Replace('\\', '/');
}
