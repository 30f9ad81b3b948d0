using System.CommandLine;
using System.Diagnostics;
using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Autodiff;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary><c>ortdiff grad --model IN.onnx --of OUTPUT --wrt INPUT[,INPUT…] --out OUT.onnx</c>: writes a VJP model.</summary>
internal static class GradCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<FileInfo>("--model") { Description = "The forward ONNX model.", Required = true };
        var of = new Option<string>("--of") { Description = "The output to differentiate.", Required = true };
        var wrt = new Option<string>("--wrt") { Description = "Comma-separated inputs to differentiate with respect to.", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "Where to write the VJP model (beside the forward model when it has external weights).", Required = true };
        var command = new Command("grad", "Build the vector-Jacobian-product graph of a model: inputs plus <output>_grad in, the output and <input>_grad out.") { model, of, wrt, output };
        command.SetAction(r => CliApplication.Guard(context, () =>
        {
            var inputs = r.GetValue(wrt)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return Execute(context.Console, r.GetValue(model)!.FullName, r.GetValue(of)!, inputs, r.GetValue(output)!.FullName);
        }));
        return command;
    }

    private static int Execute(IAnsiConsole console, string modelPath, string output, string[] wrt, string outPath)
    {
        var clock = Stopwatch.StartNew();
        var model = OnnxModel.Load(modelPath);
        var result = VjpBuilder.Build(model, output, wrt);
        var built = clock.Elapsed;
        var weights = model.ExternalDataFiles();
        var outFolder = Path.GetDirectoryName(outPath)!;
        if (weights.Count > 0 && !string.Equals(Path.GetFullPath(outFolder), model.Directory, StringComparison.Ordinal))
        {
            throw new InvalidOperationException(
                $"'{modelPath}' keeps its weights in {string.Join(", ", weights)}; ONNX Runtime resolves those relative to the model file, " +
                $"so write the VJP model into '{model.Directory}' (e.g. --out {Path.Combine(model.Directory!, Path.GetFileNameWithoutExtension(modelPath) + ".vjp.onnx")}). " +
                "It then shares the weight file instead of copying it.");
        }

        result.Model.Save(outPath);
        console.MarkupLine($"wrote [bold]{Markup.Escape(outPath)}[/] in {built.TotalMilliseconds:F0} ms");
        console.MarkupLine(Markup.Escape(result.Statistics.ToString()));
        console.MarkupLine($"inputs: {Markup.Escape(string.Join(", ", result.Model.Graph.Input.Select(i => i.Name).Where(n => result.Model.Graph.Initializer.All(t => t.Name != n))))}");
        console.MarkupLine($"outputs: {Markup.Escape(string.Join(", ", result.Model.Graph.Output.Select(o => o.Name)))}");
        return 0;
    }
}
