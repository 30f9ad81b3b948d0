using System.CommandLine;
using OrtDiffusion.Cli.Commands;
using OrtDiffusion.Onnx.Autodiff;
using OrtDiffusion.Runtime;
using Spectre.Console;

namespace OrtDiffusion.Cli;

/// <summary>Builds the <c>ortdiff</c> command tree and runs it with uniform error reporting.</summary>
internal static class CliApplication
{
    /// <summary>Exit code for a user error (bad input, missing file, unsupported model).</summary>
    public const int UserError = 1;

    /// <summary>Exit code after cancellation (as shells report SIGINT).</summary>
    public const int Cancelled = 130;

    /// <summary>Parses <paramref name="args"/> and runs the chosen command, writing to <paramref name="console"/>.</summary>
    public static int Run(string[] args, IAnsiConsole console, CancellationToken cancellation = default)
    {
        var context = new CliContext(console, cancellation);
        var root = new RootCommand("ortdiff: Stable Diffusion and PixArt-α on ONNX Runtime, with reward-guided text embeddings (DATE, IPGO).")
        {
            InfoCommand.Create(context),
            RunCommand.Create(context),
            GradCommand.Create(context),
            ZooCommand.Create(context),
            GenerateCommand.Create(context),
            DemoCommand.Create(context),
            ScoreCommand.Create(context),
            IpgoCommand.Create(context),
            EvalCommand.Create(context),
        };
        var writer = new ConsoleTextWriter(console);
        return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = writer, Error = writer });
    }

    /// <summary>Runs a command body; known failures become one clear line on stderr and a non-zero exit code.</summary>
    public static int Guard(CliContext context, Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OperationCanceledException)
        {
            context.Console.MarkupLine("[yellow]cancelled[/] (nothing partial was written)");
            return Cancelled;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or ArgumentException
                                      or NotSupportedException or OrtException or InvalidOperationException or UnsupportedOperatorsException
                                      or KeyNotFoundException or FormatException)
        {
            context.Console.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return UserError;
        }
    }
}

/// <summary>What every command needs: where to write and when to stop.</summary>
/// <param name="Console">The console to write to.</param>
/// <param name="Cancellation">Cancelled by Ctrl+C.</param>
internal sealed record CliContext(IAnsiConsole Console, CancellationToken Cancellation);
