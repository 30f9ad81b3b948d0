using System.Diagnostics;
using OrtDiffusion.Imaging;
using OrtDiffusion.IO;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// Runs (or resumes) one shard of an evaluation: for each of its items not yet finished — in the stable order, so a
/// resumed run does exactly what an uninterrupted one would — generate the image with the item's method and seed,
/// write the PNG, score it with every metric, write its FID features, and append its line to <c>results.jsonl</c>
/// (the line is the commit: an item without it is redone). At the end it writes the per-method FID moments and the
/// summary tables and plots.
/// </summary>
/// <remarks>
/// Folder layout: <c>run.json</c>, <c>results.jsonl</c>, <c>images/&lt;method&gt;/&lt;prompt#&gt;-&lt;seed&gt;.png</c>,
/// <c>features/&lt;method&gt;/…npy</c>, <c>stats/&lt;method&gt;.npz</c>, <c>fid_reference.npz</c>,
/// <c>summary.md|csv|json</c>, <c>plots/*.svg</c>.
/// </remarks>
public sealed class EvaluationRunner
{
    private readonly EvaluationSettings settings;
    private readonly EvaluationMethodRegistry registry;

    /// <summary>Prepares a run; nothing is opened until <see cref="Run"/>.</summary>
    public EvaluationRunner(EvaluationSettings settings, EvaluationMethodRegistry? registry = null)
    {
        this.settings = settings ?? throw new ArgumentNullException(nameof(settings));
        this.registry = registry ?? EvaluationMethodRegistry.CreateDefault();
    }

    /// <summary>Runs the shard to completion (or resumes it), then writes its statistics and summary.</summary>
    /// <remarks>
    /// The methods (their rewards, their tokens) and the model are opened, and every method checks that it can run on
    /// this model and these prompts, before anything is written: a mistake in a method fails without leaving a
    /// <c>run.json</c> that would refuse the corrected command.
    /// </remarks>
    /// <exception cref="FormatException">A bad method.</exception>
    /// <exception cref="NotSupportedException">A method that does not run on this model's backbone.</exception>
    /// <exception cref="InvalidOperationException">The folder holds a different run, or another process is writing it.</exception>
    /// <exception cref="OperationCanceledException">Cancelled; every item finished so far is kept and a rerun resumes after it.</exception>
    public EvaluationRunResult Run(IProgress<EvaluationProgress>? progress = null, CancellationToken cancellation = default)
    {
        settings.Validate();
        var specs = settings.Methods.Select(MethodSpec.Parse).ToList();
        specs.ForEach(registry.RequireKnown);
        var duplicate = specs.GroupBy(s => s.Label).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new FormatException($"Two methods have the label '{duplicate.Key}' ({string.Join(" and ", duplicate.Select(s => s.Text))}); add label=NAME to one.");
        }

        var metricNames = MetricSet.NamesOf(settings.MetricRewards);
        var methods = new List<IEvaluationMethod>();
        EvaluationBackbone? backbone = null;
        try
        {
            foreach (var spec in specs)
            {
                methods.Add(registry.Create(spec, settings.Execution));
            }

            backbone = EvaluationBackbone.Load(settings.ModelFolder, settings.Execution);
            foreach (var method in methods)
            {
                method.Prepare(backbone, settings.Prompts);
            }

            var sampling = settings.SamplingFor(backbone.Pipeline);
            var folder = Path.GetFullPath(settings.OutputFolder);
            Directory.CreateDirectory(folder);
            using var runLock = RunLock.Acquire(folder);
            var manifest = OpenManifest(folder, specs, metricNames, sampling, backbone.Backbone);
            var plan = manifest.Plan();
            var log = ResultsLog.Open(Path.Combine(folder, ResultsLog.FileName), repair: true);
            var finished = log.Latest().ToDictionary(i => i.Key, StringComparer.Ordinal);
            var slice = plan.Slice(settings.Shard).ToList();
            var pending = slice.Where(item => !IsFinished(folder, plan, item, finished)).ToList();
            var resumed = slice.Count - pending.Count;
            progress?.Report(new EvaluationProgress(resumed, slice.Count, resumed, null, "loading"));
            if (pending.Count > 0)
            {
                Generate(folder, plan, methods, backbone, sampling, pending, log, resumed, slice.Count, progress, cancellation);
            }

            // The model is not needed for the statistics; free it before the FID network may be loaded.
            backbone.Dispose();
            backbone = null;
            return Summarise(folder, manifest, plan, log, slice, pending.Count, resumed, progress, cancellation);
        }
        finally
        {
            backbone?.Dispose();
            foreach (var m in methods)
            {
                m.Dispose();
            }
        }
    }

    private EvaluationRunResult Summarise(string folder, RunManifest manifest, EvaluationPlan plan, ResultsLog log, List<WorkItem> slice, int generated, int resumed, IProgress<EvaluationProgress>? progress, CancellationToken cancellation)
    {
        progress?.Report(new EvaluationProgress(slice.Count, slice.Count, resumed, null, "summary"));
        var keys = slice.Select(plan.Key).ToHashSet(StringComparer.Ordinal);
        var items = log.Latest().Where(i => keys.Contains(i.Key)).OrderBy(i => i.Index).ToList();
        var moments = new Dictionary<string, FeatureMoments>(StringComparer.Ordinal);
        GaussianStatistics? reference = null;
        if (manifest.Fid)
        {
            moments = FidFiles.Moments(folder, items, plan.MethodLabels);
            FidFiles.SaveMoments(folder, moments);
            if (settings.FidReference is { } source)
            {
                progress?.Report(new EvaluationProgress(slice.Count, slice.Count, resumed, null, "reference"));
                reference = FidFiles.Reference(folder, source, () => FidFeatureExtractor.Load(settings.FidModel!, settings.Execution), cancellation);
            }
        }

        var scope = settings.Shard.Count == 1 ? "whole run" : $"shard {settings.Shard}";
        var summary = EvaluationSummary.Build(manifest, items, moments, reference, slice.Count, scope);
        SummaryWriter.Write(folder, summary);
        return new EvaluationRunResult(folder, summary, generated, resumed, log.TornBytes);
    }

    private RunManifest OpenManifest(string folder, List<MethodSpec> specs, IReadOnlyList<string> metricNames, GenerationRequest sampling, DiffusionBackbone kind)
    {
        var identity = RunManifest.BuildIdentity(settings, specs, metricNames, sampling);
        var existing = RunManifest.TryLoad(folder);
        if (existing is null)
        {
            if (File.Exists(Path.Combine(folder, ResultsLog.FileName)))
            {
                throw new InvalidOperationException($"'{folder}' has a {ResultsLog.FileName} but no {RunManifest.FileName}; it is not a run this version can resume. Use another --out folder.");
            }

            var created = new RunManifest(identity, settings.Shard, RunManifest.BuildSources(settings, kind));
            created.Save(folder);
            return created;
        }

        if (!RunManifest.SameIdentity(existing.Identity, identity))
        {
            throw new InvalidOperationException($"'{folder}' holds a different evaluation ({RunManifest.Difference(identity, existing.Identity)}); resume it with the same settings or use another --out folder.");
        }

        if (existing.Shard != settings.Shard)
        {
            throw new InvalidOperationException($"'{folder}' holds shard {existing.Shard?.ToString() ?? "(merged)"}, not {settings.Shard}; give each shard its own --out folder.");
        }

        return existing;
    }

    private bool IsFinished(string folder, EvaluationPlan plan, WorkItem item, Dictionary<string, ItemResult> finished) =>
        finished.TryGetValue(plan.Key(item), out var result)
        && result.Index == item.Index
        && File.Exists(Path.Combine(folder, result.Image))
        && (settings.FidModel is null || (result.Features is not null && File.Exists(Path.Combine(folder, result.Features))));

    private void Generate(string folder, EvaluationPlan plan, List<IEvaluationMethod> methods, EvaluationBackbone backbone, GenerationRequest sampling, List<WorkItem> pending, ResultsLog log, int resumed, int total, IProgress<EvaluationProgress>? progress, CancellationToken cancellation)
    {
        using var metrics = MetricSet.Load(settings.MetricRewards, settings.FidModel, settings.Execution);
        foreach (var label in plan.MethodLabels)
        {
            Directory.CreateDirectory(Path.Combine(folder, "images", label));
            if (metrics.Fid is not null)
            {
                Directory.CreateDirectory(Path.Combine(folder, "features", label));
            }
        }

        var done = resumed;
        foreach (var item in pending)
        {
            cancellation.ThrowIfCancellationRequested();
            var result = Evaluate(folder, plan, methods[item.MethodIndex], backbone, sampling, metrics, item, cancellation);
            log.Append(result);
            progress?.Report(new EvaluationProgress(++done, total, resumed, result.Key, "generating"));
        }
    }

    private ItemResult Evaluate(string folder, EvaluationPlan plan, IEvaluationMethod method, EvaluationBackbone backbone, GenerationRequest sampling, MetricSet metrics, WorkItem item, CancellationToken cancellation)
    {
        var prompt = settings.Prompts[item.PromptIndex];
        var request = sampling with { Prompt = prompt, Seed = item.Seed };

        // Encode the prompt pair into the pipeline's cache before the clock starts, so text encoding (T5-XXL's is
        // heavy) is not charged to whichever method comes first for a prompt; items of a prompt are adjacent.
        backbone.Pipeline.EncodePrompts(prompt, sampling.NegativePrompt, 1);

        var clock = Stopwatch.StartNew();
        var sample = method.Generate(backbone, request, cancellation);
        var seconds = clock.Elapsed.TotalSeconds;

        var image = sample.Result.ToPixelImages()[0];
        var parameters = sample.Result.Parameters with { Extra = [.. sample.Result.Parameters.Extra, KeyValuePair.Create("Eval method", method.Spec.Text)] };
        var imagePath = plan.ImagePath(item);
        PngWriter.Write(Path.Combine(folder, imagePath), image, parameters, cancellationToken: cancellation);
        var (scores, features) = metrics.Measure(image, prompt, cancellation);
        string? featuresPath = null;
        if (features is not null)
        {
            featuresPath = plan.FeaturesPath(item);
            NpyFile.Write(Path.Combine(folder, featuresPath), features, features.Length);
        }

        return new ItemResult
        {
            Index = item.Index,
            Key = plan.Key(item),
            Method = method.Spec.Label,
            PromptIndex = item.PromptIndex,
            Prompt = prompt,
            Seed = item.Seed,
            Image = imagePath,
            Features = featuresPath,
            TimeSeconds = seconds,
            UnetCalls = sample.Result.UnetCalls,
            PromptTruncated = sample.Result.PromptTruncated,
            Metrics = scores,
            Trace = sample.Trace,
        };
    }
}
