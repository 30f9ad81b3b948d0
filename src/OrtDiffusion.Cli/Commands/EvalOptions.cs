using System.CommandLine;
using OrtDiffusion.Evaluation;
using OrtDiffusion.Models;
using OrtDiffusion.Runtime;
using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Cli.Commands;

/// <summary>The options of <c>ortdiff eval</c> and how they become <see cref="EvaluationSettings"/>.</summary>
internal sealed class EvalOptions
{
    public const string FidMetric = "fid";

    public Option<DirectoryInfo> Model { get; } = new("--model") { Description = "The model folder: Stable Diffusion v1.5 (Optimum layout) or PixArt-α, told apart by model_index.json.", Required = true };

    public Option<FileInfo> Prompts { get; } = new("--prompts") { Description = "Prompt file: text with one prompt per line, or .csv with a 'caption' column.", Required = true };

    public Option<int?> Limit { get; } = new("--limit") { Description = "Use only the first N prompts of the file." };

    public Option<string[]> Methods { get; } = new("--method")
    {
        Description = "A method to evaluate (repeat to compare): fixed | date:reward=DIR[=w][+DIR=w…],every=K|steps=i;j,rho=R[,init-org][,prior=L][,grad-steps=N] | "
            + "ipgo:tokens=FILE[,last] (learned IPGO tokens, best ones unless last; Stable Diffusion only; sampled with this run's steps, scheduler, guidance, size and seeds, not the file's) — any method takes label=NAME. Default: fixed.",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<string> Seeds { get; } = new("--seeds") { Description = "Seeds, e.g. 0,1,2 or 0-9 (every prompt once per seed and method).", DefaultValueFactory = _ => "0" };

    public Option<string[]> Metrics { get; } = new("--metric")
    {
        Description = "A metric (repeat): a reward folder (CLIP score, aesthetic, ImageReward, HPSv2 — separate from the rewards methods optimise), or 'fid' (needs --fid-model).",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<DirectoryInfo?> FidModel { get; } = new("--fid-model") { Description = "The FID network folder (fid.json + model.onnx; onnx-export/export_fid_inception.py)." };

    public Option<string?> FidReference { get; } = new("--fid-reference") { Description = "FID reference: a folder of PNGs, or statistics (.npz with mu, sigma; pytorch-fid's or `ortdiff eval fid-stats`). Without it FID statistics are written and FID can be computed at merge time." };

    public Option<int?> Steps { get; } = new("--steps") { Description = "Sampling steps (default: the backbone's — SD v1.5 50, PixArt-α 20)." };

    public Option<float?> Guidance { get; } = new("--guidance") { Description = "Classifier-free guidance scale (default: the backbone's — SD v1.5 7.5, PixArt-α 4.5)." };

    public Option<string?> Scheduler { get; } = new("--scheduler") { Description = $"Scheduler: {string.Join("|", SchedulerFactory.Names)} (default: the model's own; PixArt-α's is DPM-Solver)." };

    public Option<int?> Width { get; } = new("--width") { Description = "Image width, a multiple of 8 (default: SD v1.5 512, PixArt-α its native size; PixArt-α generates at the nearest trained aspect ratio and resizes back)." };

    public Option<int?> Height { get; } = new("--height") { Description = "Image height, a multiple of 8 (default: as --width)." };

    public Option<string> Negative { get; } = new("--negative") { Description = "The negative prompt.", DefaultValueFactory = _ => string.Empty };

    public Option<ExecutionDevice> Device { get; } = DeviceOption.Create();

    public Option<DirectoryInfo> Output { get; } = new("--out") { Description = "The run folder (a rerun with the same settings resumes it).", Required = true };

    public Option<string> Shard { get; } = new("--shard") { Description = "Do shard i of n (0-based), e.g. 2/8; merge the shard folders with `ortdiff eval merge`.", DefaultValueFactory = _ => "0/1" };

    public IEnumerable<Option> All =>
        [Model, Prompts, Limit, Methods, Seeds, Metrics, FidModel, FidReference, Steps, Guidance, Scheduler, Width, Height, Negative, Device, Output, Shard];

    /// <summary>The settings these options describe; parse errors name the option.</summary>
    public EvaluationSettings ToSettings(ParseResult r)
    {
        var promptFile = r.GetValue(Prompts)!.FullName;
        var prompts = PromptFile.Read(promptFile);
        if (r.GetValue(Limit) is int limit)
        {
            if (limit < 1)
            {
                throw new ArgumentException($"--limit must be at least 1, not {limit}.");
            }

            prompts = [.. prompts.Take(limit)];
        }

        var metrics = r.GetValue(Metrics) ?? [];
        var fid = metrics.Any(m => m.Equals(FidMetric, StringComparison.OrdinalIgnoreCase));
        var fidModel = r.GetValue(FidModel);
        var fidReference = r.GetValue(FidReference);
        if (fid && fidModel is null)
        {
            throw new ArgumentException("--metric fid needs --fid-model DIR (the FID feature network).");
        }

        if (!fid && (fidModel is not null || fidReference is not null))
        {
            throw new ArgumentException("--fid-model and --fid-reference are used with --metric fid; add it.");
        }

        var methods = r.GetValue(Methods) is { Length: > 0 } given ? given : ["fixed"];
        return new EvaluationSettings
        {
            ModelFolder = r.GetValue(Model)!.FullName,
            Prompts = prompts,
            PromptSource = promptFile,
            Methods = methods,
            Seeds = Parse("--seeds", () => SeedList.Parse(r.GetValue(Seeds)!)),
            MetricRewards = [.. metrics.Where(m => !m.Equals(FidMetric, StringComparison.OrdinalIgnoreCase))],
            FidModel = fid ? fidModel!.FullName : null,
            FidReference = fidReference,
            Steps = r.GetValue(Steps),
            GuidanceScale = r.GetValue(Guidance),
            Scheduler = r.GetValue(Scheduler),
            Width = r.GetValue(Width),
            Height = r.GetValue(Height),
            NegativePrompt = r.GetValue(Negative) ?? string.Empty,
            Execution = ExecutionOptions.Default with { Device = r.GetValue(Device) },
            Shard = Parse("--shard", () => ShardSpec.Parse(r.GetValue(Shard)!)),
            OutputFolder = r.GetValue(Output)!.FullName,
        };
    }

    private static T Parse<T>(string option, Func<T> parse)
    {
        try
        {
            return parse();
        }
        catch (FormatException e)
        {
            throw new FormatException($"{option}: {e.Message}", e);
        }
    }
}
