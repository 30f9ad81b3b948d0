using OrtDiffusion.Cli;
using Spectre.Console;

namespace OrtDiffusion.Tests.Cli;

/// <summary>Runs <c>ortdiff</c> in-process and captures what it prints.</summary>
internal static class CliRunner
{
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        var code = CliApplication.Run(args, console);
        return (code, writer.ToString());
    }
}
