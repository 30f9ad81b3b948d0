namespace OrtDiffusion.Evaluation;

/// <summary>Mean, sample standard deviation (n − 1) and count of a set of values.</summary>
/// <param name="Mean">The mean.</param>
/// <param name="Std">The sample standard deviation (0 for one value).</param>
/// <param name="Count">How many values.</param>
public readonly record struct MeanStd(double Mean, double Std, int Count)
{
    /// <summary>Summarises <paramref name="values"/> (summed in the order given).</summary>
    public static MeanStd Of(IReadOnlyList<double> values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count == 0)
        {
            return new MeanStd(double.NaN, double.NaN, 0);
        }

        var sum = 0.0;
        foreach (var v in values)
        {
            sum += v;
        }

        var mean = sum / values.Count;
        var squares = 0.0;
        foreach (var v in values)
        {
            squares += (v - mean) * (v - mean);
        }

        return new MeanStd(mean, values.Count > 1 ? Math.Sqrt(squares / (values.Count - 1)) : 0, values.Count);
    }
}

/// <summary>One method's row of the summary table.</summary>
public sealed record MethodSummary
{
    /// <summary>The method's label.</summary>
    public required string Label { get; init; }

    /// <summary>The method as given.</summary>
    public required string Spec { get; init; }

    /// <summary>Images evaluated.</summary>
    public required int Count { get; init; }

    /// <summary>Seconds per image.</summary>
    public required MeanStd Time { get; init; }

    /// <summary>FID against the reference, when there is one and at least two images.</summary>
    public FrechetResult? Fid { get; init; }

    /// <summary>Images behind the FID statistics.</summary>
    public long FidImages { get; init; }

    /// <summary>Each metric, in the run's metric order.</summary>
    public required IReadOnlyList<KeyValuePair<string, MeanStd>> Metrics { get; init; }

    /// <summary>The method's own reward per step (DATE), averaged over images; null for methods without a trace.</summary>
    public IReadOnlyList<(int Step, MeanStd Reward)>? RewardPerStep { get; init; }

    /// <summary>The reward <see cref="RewardPerStep"/> measures.</summary>
    public string? TraceReward { get; init; }
}

/// <summary>
/// The paper-style summary of a run or of merged shards: per method, the time per image, FID and the mean of every
/// metric; per DATE method, the reward per step. Built from <c>results.jsonl</c> lines (in item order) and the FID
/// moments, so a merged summary equals the summary of the same items evaluated in one run.
/// </summary>
public sealed record EvaluationSummary
{
    /// <summary>The rows, in the run's method order.</summary>
    public required IReadOnlyList<MethodSummary> Methods { get; init; }

    /// <summary>The metric columns.</summary>
    public required IReadOnlyList<string> MetricNames { get; init; }

    /// <summary>Whether FID statistics were collected.</summary>
    public required bool FidCollected { get; init; }

    /// <summary>Images behind the FID reference, when known.</summary>
    public long? FidReferenceImages { get; init; }

    /// <summary>Items the summary covers.</summary>
    public required long Items { get; init; }

    /// <summary>Items the run (or the shards together) should have.</summary>
    public required long ExpectedItems { get; init; }

    /// <summary>What the summary covers, e.g. <c>shard 1/3</c> or <c>merged 3 shards</c>.</summary>
    public required string Scope { get; init; }

    internal static EvaluationSummary Build(
        RunManifest manifest,
        IReadOnlyList<ItemResult> items,
        IReadOnlyDictionary<string, FeatureMoments> moments,
        GaussianStatistics? reference,
        long expected,
        string scope)
    {
        var ordered = items.OrderBy(i => i.Index).ToList();
        var frechet = reference is null ? null : new FrechetDistance(reference);
        var rows = new List<MethodSummary>();
        var labels = manifest.MethodLabels;
        var specs = manifest.MethodSpecs;
        for (var m = 0; m < labels.Count; m++)
        {
            var mine = ordered.Where(i => i.Method == labels[m]).ToList();
            FrechetResult? fid = null;
            long fidImages = 0;
            if (moments.TryGetValue(labels[m], out var stats))
            {
                fidImages = stats.Count;
                if (frechet is not null && stats.Count >= 2)
                {
                    fid = frechet.To(stats.ToGaussian());
                }
            }

            var traced = mine.Where(i => i.Trace is not null).ToList();
            List<(int, MeanStd)>? perStep = null;
            if (traced.Count > 0)
            {
                perStep = [.. traced.SelectMany(i => i.Trace!.Steps.Zip(i.Trace.Values))
                    .GroupBy(p => p.First)
                    .OrderBy(g => g.Key)
                    .Select(g => (g.Key, MeanStd.Of([.. g.Select(p => p.Second)])))];
            }

            rows.Add(new MethodSummary
            {
                Label = labels[m],
                Spec = specs[m],
                Count = mine.Count,
                Time = MeanStd.Of([.. mine.Select(i => i.TimeSeconds)]),
                Fid = fid,
                FidImages = fidImages,
                Metrics = [.. manifest.MetricNames.Select(name => KeyValuePair.Create(name, MeanStd.Of([.. mine.Select(i => i.Metric(name)).OfType<double>()])))],
                RewardPerStep = perStep,
                TraceReward = traced.FirstOrDefault()?.Trace!.Reward,
            });
        }

        return new EvaluationSummary
        {
            Methods = rows,
            MetricNames = manifest.MetricNames,
            FidCollected = manifest.Fid,
            FidReferenceImages = reference?.Count is > 0 ? reference.Count : null,
            Items = ordered.Count,
            ExpectedItems = expected,
            Scope = scope,
        };
    }
}
