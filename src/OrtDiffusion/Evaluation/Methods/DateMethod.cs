using OrtDiffusion.Date;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// <c>date:reward=DIR[=w][+DIR=w…],every=K|steps=i;j;…,rho=R[,init-org][,prior=λ][,grad-steps=N]</c>: DATE with the
/// given reward (a weighted sum when several are joined by <c>+</c>). Defaults as <see cref="DateOptions"/>:
/// every 10th step, ρ = 0.1, accumulating updates. Runs on every backbone (the paper's PixArt-α setting is
/// <c>every=2</c> with DPM-Solver, 20 steps). Its trace is h(x̄₀) before each update.
/// </summary>
internal sealed class DateMethod : IEvaluationMethod
{
    public const string Usage = "date:reward=DIR[=w][+DIR=w…][,every=K|steps=i;j;…][,rho=R][,init-org][,prior=L][,grad-steps=N]";

    private readonly IReward reward;

    private DateMethod(MethodSpec spec, IReward reward, DateOptions options)
    {
        Spec = spec;
        this.reward = reward;
        Options = options;
    }

    public MethodSpec Spec { get; }

    public DateOptions Options { get; }

    public static IEvaluationMethod Create(MethodSpec spec, ExecutionOptions execution)
    {
        spec.RequireKnownOptions("reward", "every", "steps", "rho", "init-org", "prior", "grad-steps");
        var rewards = spec.Get("reward") ?? throw new FormatException($"Method '{spec.Text}': DATE needs reward=DIR (a reward folder; DIR=w+DIR=w for a weighted sum).");
        var every = spec.Get("every");
        var steps = spec.Get("steps");
        if (every is not null && steps is not null)
        {
            throw new FormatException($"Method '{spec.Text}': give every= or steps=, not both.");
        }

        DateSchedule schedule;
        try
        {
            // Commas separate options, so step lists use ';' (steps=0;10;20); a single index still means a list.
            schedule = steps is not null ? DateSchedule.Parse(steps.Replace(';', ',') + (steps.Contains(';', StringComparison.Ordinal) ? string.Empty : ","))
                : every is not null ? DateSchedule.Parse(every)
                : DateSchedule.Every(10);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            throw new FormatException($"Method '{spec.Text}': {e.Message}", e);
        }

        var options = new DateOptions
        {
            Rho = spec.GetFloat("rho", 0.1f),
            Schedule = schedule,
            InitFromOriginal = spec.GetFlag("init-org"),
            PriorWeight = spec.GetFloat("prior", 0f),
            GradientSteps = spec.GetInt("grad-steps", 1),
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new FormatException($"Method '{spec.Text}': {e.Message}", e);
        }

        var parts = rewards.Split('+', StringSplitOptions.TrimEntries);
        if (parts.Any(p => p.Length == 0))
        {
            throw new FormatException($"Method '{spec.Text}': an empty reward in '{rewards}'; join rewards as DIR=w+DIR=w.");
        }

        return new DateMethod(spec, RewardSpec.Load(parts, execution), options);
    }

    public MethodSample Generate(EvaluationBackbone backbone, GenerationRequest request, CancellationToken cancellation)
    {
        var pipeline = backbone.Pipeline;
        var predictor = new DateNoisePredictor(reward, pipeline.Decoder, request.Prompt, Options);
        var result = pipeline.Generate(request, predictor, cancellationToken: cancellation);
        var scored = predictor.Trace.Where(t => t.RewardBefore is { Count: > 0 }).ToList();
        var trace = new RewardTrace(reward.Name, [.. scored.Select(t => t.Index)], [.. scored.Select(t => (double)t.RewardBefore![0])]);
        return new MethodSample(result, trace);
    }

    public void Dispose() => reward.Dispose();
}
