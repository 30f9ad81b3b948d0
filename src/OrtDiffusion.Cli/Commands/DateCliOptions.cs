using System.CommandLine;
using OrtDiffusion.Date;

namespace OrtDiffusion.Cli.Commands;

/// <summary>The DATE options of <c>generate</c>.</summary>
internal sealed class DateCliOptions
{
    public Option<string[]> Rewards { get; } = new("--date")
    {
        Description = "Run DATE with this reward folder, optionally weighted: DIR[=weight] (repeat for a weighted sum).",
        Arity = ArgumentArity.ZeroOrMore,
    };

    public Option<float> Rho { get; } = new("--date-rho") { Description = "DATE step size ρ.", DefaultValueFactory = _ => 0.1f };

    public Option<string?> Every { get; } = new("--date-every") { Description = "Update every k-th step from step 0 (10 = \"10% updates\" at 50 steps, 1 = all), or a share such as 10%." };

    public Option<string?> Steps { get; } = new("--date-steps") { Description = "Update at these step indices instead: i,j,…" };

    public Option<bool> InitOriginal { get; } = new("--date-init-org") { Description = "c = c_org + ρĝ at each update (the poster's formula) instead of accumulating updates (the released code)." };

    public Option<float> Prior { get; } = new("--date-prior") { Description = "λ of the prior term λ·mean((c − c_org)²).", DefaultValueFactory = _ => 0f };

    public Option<int> GradientSteps { get; } = new("--date-grad-steps") { Description = "Gradient steps per update.", DefaultValueFactory = _ => 1 };

    public Option<bool> ScoreAfter { get; } = new("--date-score-after") { Description = "Also score x̄₀ after each update (costs a decoder and reward forward per update) to report the gain." };

    public Option<FileInfo?> Trace { get; } = new("--trace") { Description = "Write a per-step JSON trace of DATE here." };

    public IEnumerable<Option> All => [Rewards, Rho, Every, Steps, InitOriginal, Prior, GradientSteps, ScoreAfter, Trace];

    public bool Enabled(ParseResult r) => r.GetValue(Rewards) is { Length: > 0 };

    public DateOptions ToOptions(ParseResult r)
    {
        var every = r.GetValue(Every);
        var steps = r.GetValue(Steps);
        if (every is not null && steps is not null)
        {
            throw new ArgumentException("Give either --date-every or --date-steps, not both.");
        }

        var schedule = steps is not null ? DateSchedule.Parse(steps.Contains(',', StringComparison.Ordinal) ? steps : steps + ",")
            : every is not null ? DateSchedule.Parse(every)
            : DateSchedule.Every(10);
        var traceRequested = r.GetValue(Trace) is not null;
        return new DateOptions
        {
            Rho = r.GetValue(Rho),
            Schedule = schedule,
            InitFromOriginal = r.GetValue(InitOriginal),
            PriorWeight = r.GetValue(Prior),
            GradientSteps = r.GetValue(GradientSteps),
            ScoreAfterUpdate = r.GetValue(ScoreAfter) || traceRequested,
        };
    }
}
