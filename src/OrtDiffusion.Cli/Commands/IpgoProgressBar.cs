using System.Globalization;
using OrtDiffusion.Ipgo;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary>IPGO training progress: a Spectre bar over all generations whose label shows the epoch and the rewards; one line per epoch when the console is not interactive.</summary>
internal static class IpgoProgressBar
{
    public static T Run<T>(IAnsiConsole console, IpgoTokens tokens, Func<IProgress<IpgoEpochReport>, T> body)
    {
        if (!console.Profile.Capabilities.Interactive)
        {
            return body(new Lines(console));
        }

        T result = default!;
        console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Label(tokens.History.EpochsDone, tokens.Options.Epochs, null));
                task.MaxValue = (double)tokens.Options.Epochs * tokens.Metadata.Prompts.Count;
                task.Value = (double)tokens.History.EpochsDone * tokens.Metadata.Prompts.Count;
                result = body(new Bar(task));
            });
        return result;
    }

    private static string Label(int epoch, int epochs, IpgoEpochReport? report) => report is null
        ? $"IPGO epoch {epoch}/{epochs}"
        : string.Create(CultureInfo.InvariantCulture, $"IPGO epoch {report.Epoch}/{report.Epochs}  reward {report.Reward:F4}  best {Best(report)}");

    private static string Best(IpgoEpochReport report) => double.IsNaN(report.BestReward) ? "—" : report.BestReward.ToString("F4", CultureInfo.InvariantCulture);

    private sealed class Bar(ProgressTask task) : IProgress<IpgoEpochReport>
    {
        public void Report(IpgoEpochReport value)
        {
            task.Description = Markup.Escape(Label(value.Epoch, value.Epochs, value));
            task.Value = ((double)(value.Epoch - 1) * value.Generations) + value.Generation;
        }
    }

    private sealed class Lines(IAnsiConsole console) : IProgress<IpgoEpochReport>
    {
        public void Report(IpgoEpochReport value)
        {
            if (value.EpochComplete)
            {
                console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {value.Epoch}/{value.Epochs}  reward {value.EpochReward:F4}  best {Best(value)}  lr {value.LearningRate:0.###E+0}  |g| {value.GradientNorm:G3}  {value.Elapsed.TotalSeconds:F2} s"));
            }
        }
    }
}
