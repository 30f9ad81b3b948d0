using System.Text;
using Spectre.Console;

namespace OrtDiffusion.Cli;

/// <summary>A TextWriter over the Spectre console, so parse errors and help land where everything else does.</summary>
internal sealed class ConsoleTextWriter(IAnsiConsole console) : TextWriter
{
    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value) => console.Write(new Spectre.Console.Text(value.ToString()));

    public override void Write(string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            console.Write(new Spectre.Console.Text(value));
        }
    }

    public override void WriteLine(string? value)
    {
        Write(value);
        console.WriteLine();
    }
}
