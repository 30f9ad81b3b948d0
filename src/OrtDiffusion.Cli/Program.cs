using Spectre.Console;

namespace OrtDiffusion.Cli;

/// <summary>Entry point of the <c>ortdiff</c> tool.</summary>
internal static class Program
{
    private static int Main(string[] args)
    {
        using var cancellation = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // First Ctrl+C cancels cooperatively (no partial files); a second one kills the process.
            if (!cancellation.IsCancellationRequested)
            {
                e.Cancel = true;
                cancellation.Cancel();
            }
        };
        return CliApplication.Run(args, AnsiConsole.Console, cancellation.Token);
    }
}
