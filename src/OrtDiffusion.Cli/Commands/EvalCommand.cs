using System.CommandLine;
using System.Globalization;
using OrtDiffusion.Evaluation;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary>
/// <c>ortdiff eval …</c>: evaluates methods over a prompt set and seeds into a run folder (images, results.jsonl, FID
/// statistics, summary tables and plots), sharded with <c>--shard i/n</c> and resumable; <c>eval merge</c> combines
/// shard folders; <c>eval fid-stats</c> precomputes FID reference statistics.
/// </summary>
internal static class EvalCommand
{
    public static Command Create(CliContext context)
    {
        var options = new EvalOptions();
        var command = new Command("eval", "Evaluate methods (fixed embedding, DATE, IPGO tokens) on Stable Diffusion or PixArt-α over a prompt set: images, metrics, FID and paper-style tables; sharded (--shard i/n) and resumable.");
        foreach (var option in options.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(r => CliApplication.Guard(context, () => Run(context, options.ToSettings(r))));
        command.Subcommands.Add(EvalMergeCommand.Create(context));
        command.Subcommands.Add(EvalFidStatsCommand.Create(context));
        return command;
    }

    private static int Run(CliContext context, EvaluationSettings settings)
    {
        var console = context.Console;
        var done = 0;
        var progress = new LineProgress(console, count => done = count);
        EvaluationRunResult result;
        try
        {
            result = new EvaluationRunner(settings).Run(progress, context.Cancellation);
        }
        catch (OperationCanceledException)
        {
            console.MarkupLine($"[yellow]cancelled[/] after {done} finished item(s); rerun the same command to resume.");
            return CliApplication.Cancelled;
        }

        if (result.TornBytes > 0)
        {
            console.MarkupLine($"note: cut a torn last line ({result.TornBytes} bytes) off results.jsonl and redid that item");
        }

        console.MarkupLine($"{result.Generated} item(s) generated, {result.Resumed} already finished; wrote [bold]{Markup.Escape(result.Folder)}[/]");
        console.WriteLine();
        console.Write(new Spectre.Console.Text(SummaryWriter.Markdown(result.Summary)));
        return 0;
    }

    /// <summary>One line per finished item (logs of cluster jobs read well), and the phases.</summary>
    private sealed class LineProgress(IAnsiConsole console, Action<int> done) : IProgress<EvaluationProgress>
    {
        public void Report(EvaluationProgress value)
        {
            done(value.Done);
            if (value.Key is not null)
            {
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{value.Done}/{value.Total}] {value.Key}"));
            }
            else if (value.Phase == "loading" && value.Resumed > 0)
            {
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"resuming: {value.Resumed} of {value.Total} items already finished"));
            }
        }
    }
}
