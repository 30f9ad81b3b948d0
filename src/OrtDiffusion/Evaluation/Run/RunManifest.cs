using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using OrtDiffusion.IO;
using OrtDiffusion.Pipelines;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// <c>run.json</c>: what a run folder holds. Its <c>identity</c> — prompts (by SHA-256), methods, seeds, metric names,
/// FID on or off and the sampling settings — must match for a rerun to resume the folder and for folders to be
/// merged; <c>shard</c> says which share it holds; <c>sources</c> records the paths used (not compared, since shards
/// on different machines may mount them elsewhere).
/// </summary>
internal sealed class RunManifest
{
    public const string FileName = "run.json";
    public const string Format = "ortdiff-eval/1";

    private static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonSerializerOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    public RunManifest(JsonObject identity, ShardSpec? shard, JsonObject sources)
    {
        Identity = identity;
        Shard = shard;
        Sources = sources;
    }

    public JsonObject Identity { get; }

    /// <summary>The shard, or null for a merged folder.</summary>
    public ShardSpec? Shard { get; }

    public JsonObject Sources { get; }

    public IReadOnlyList<string> MethodLabels => [.. Identity["methods"]!.AsArray().Select(m => m!["label"]!.GetValue<string>())];

    public IReadOnlyList<string> MethodSpecs => [.. Identity["methods"]!.AsArray().Select(m => m!["spec"]!.GetValue<string>())];

    public IReadOnlyList<string> MetricNames => [.. Identity["metrics"]!.AsArray().Select(m => m!.GetValue<string>())];

    public bool Fid => Identity["fid"]!.GetValue<bool>();

    public int PromptCount => Identity["prompt_count"]!.GetValue<int>();

    public IReadOnlyList<ulong> Seeds => SeedList.Parse(Identity["seeds"]!.GetValue<string>());

    public EvaluationPlan Plan() => new(PromptCount, Seeds, MethodLabels);

    /// <summary>The run's identity; <paramref name="sampling"/> holds the settings resolved against the backbone's defaults.</summary>
    public static JsonObject BuildIdentity(EvaluationSettings settings, IReadOnlyList<MethodSpec> methods, IReadOnlyList<string> metricNames, GenerationRequest sampling) => new()
    {
        ["prompts_sha256"] = PromptFile.Fingerprint(settings.Prompts),
        ["prompt_count"] = settings.Prompts.Count,
        ["methods"] = new JsonArray([.. methods.Select(m => (JsonNode)new JsonObject { ["label"] = m.Label, ["spec"] = m.Text })]),
        ["seeds"] = SeedList.Format(settings.Seeds),
        ["metrics"] = new JsonArray([.. metricNames.Select(n => (JsonNode)JsonValue.Create(n))]),
        ["fid"] = settings.FidModel is not null,
        ["sampling"] = new JsonObject
        {
            ["steps"] = sampling.Steps,
            ["guidance"] = sampling.GuidanceScale.ToString("R", CultureInfo.InvariantCulture),
            ["scheduler"] = sampling.Scheduler ?? "model default",
            ["width"] = sampling.Width,
            ["height"] = sampling.Height,
            ["negative_prompt"] = sampling.NegativePrompt,
        },
    };

    public static JsonObject BuildSources(EvaluationSettings settings, DiffusionBackbone backbone) => new()
    {
        ["model"] = Path.GetFullPath(settings.ModelFolder),
        ["backbone"] = backbone.ToString(),
        ["prompts"] = settings.PromptSource,
        ["metric_rewards"] = new JsonArray([.. settings.MetricRewards.Select(p => (JsonNode)JsonValue.Create(Path.GetFullPath(p)))]),
        ["fid_model"] = settings.FidModel is null ? null : Path.GetFullPath(settings.FidModel),
        ["fid_reference"] = settings.FidReference is null ? null : Path.GetFullPath(settings.FidReference),
        ["device"] = settings.Execution.Device.ToString().ToLowerInvariant(),
    };

    /// <summary>Whether two identities are the same run (compared as canonical JSON).</summary>
    public static bool SameIdentity(JsonObject a, JsonObject b) => a.ToJsonString(Compact) == b.ToJsonString(Compact);

    /// <summary>The first identity field that differs, for error messages.</summary>
    public static string Difference(JsonObject expected, JsonObject found)
    {
        foreach (var (key, value) in expected)
        {
            var other = found[key];
            var a = value?.ToJsonString(Compact) ?? "null";
            var b = other?.ToJsonString(Compact) ?? "null";
            if (a != b)
            {
                return $"{key}: {Shorten(b)} there, {Shorten(a)} here";
            }
        }

        return "fields differ";
    }

    public void Save(string folder)
    {
        var root = new JsonObject
        {
            ["format"] = Format,
            ["identity"] = Identity.DeepClone(),
            ["shard"] = Shard is { } s ? new JsonObject { ["index"] = s.Index, ["count"] = s.Count } : null,
            ["sources"] = Sources.DeepClone(),
        };
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), root.ToJsonString(Indented) + "\n");
    }

    /// <summary>Reads <c>folder/run.json</c>, or null when there is none.</summary>
    /// <exception cref="InvalidDataException">A malformed file.</exception>
    public static RunManifest? TryLoad(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            if (root["format"]?.GetValue<string>() != Format)
            {
                throw new InvalidDataException($"'{path}' is not an ortdiff eval run description (format '{root["format"]}', expected '{Format}').");
            }

            ShardSpec? shard = root["shard"] is JsonObject s ? new ShardSpec(s["index"]!.GetValue<int>(), s["count"]!.GetValue<int>()) : null;
            return new RunManifest(root["identity"]!.AsObject().DeepClone().AsObject(), shard, root["sources"]?.AsObject().DeepClone().AsObject() ?? []);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        {
            throw new InvalidDataException($"'{path}' is not a valid run description: {e.Message}", e);
        }
    }

    /// <summary>Reads <c>folder/run.json</c> or explains that the folder is not a run.</summary>
    public static RunManifest Load(string folder) =>
        TryLoad(folder) ?? throw new FileNotFoundException($"'{folder}' is not an ortdiff eval run folder (it has no {FileName}).", Path.Combine(folder, FileName));

    private static string Shorten(string text) => text.Length <= 120 ? text : text[..117] + "…";
}
