using OrtDiffusion.Pipelines;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary>Draws sampling progress with Spectre.Console (a plain line per run when the console is not interactive).</summary>
internal static class ProgressBars
{
    public static T Run<T>(IAnsiConsole console, string label, Func<IProgress<GenerationProgress>, T> body)
    {
        if (!console.Profile.Capabilities.Interactive)
        {
            return body(new Plain());
        }

        T result = default!;
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(label));
                result = body(new Bar(task));
            });
        return result;
    }

    private sealed class Bar(ProgressTask task) : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value)
        {
            task.MaxValue = value.TotalSteps;
            task.Value = value.Step;
        }
    }

    private sealed class Plain : IProgress<GenerationProgress>
    {
        public void Report(GenerationProgress value)
        {
        }
    }
}
