using System.CommandLine;
using System.Globalization;
using OrtDiffusion.Onnx;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary><c>ortdiff info --model M.onnx</c>: inputs, outputs, opsets, op histogram, weights, differentiability.</summary>
internal static class InfoCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<FileInfo>("--model") { Description = "The ONNX model file.", Required = true };
        var command = new Command("info", "Describe an ONNX model: inputs, outputs, opsets, operators, weights, and what cannot be differentiated.") { model };
        command.SetAction(result => CliApplication.Guard(context, () => Show(context.Console, ModelSummary.Read(result.GetValue(model)!.FullName))));
        return command;
    }

    private static int Show(IAnsiConsole console, ModelSummary s)
    {
        console.MarkupLine($"[bold]{Markup.Escape(s.Path)}[/]");
        console.MarkupLine($"producer {Markup.Escape(s.Producer)}, IR {s.IrVersion}, opsets {Markup.Escape(string.Join(", ", s.Opsets.Select(o => $"{(o.Key.Length == 0 ? "ai.onnx" : o.Key)} {o.Value}")))}");
        var io = new Table().AddColumns("", "name", "type", "shape");
        foreach (var i in s.Inputs)
        {
            io.AddRow("input", Markup.Escape(i.Name), ElementTypes.Name(i.Type), Markup.Escape(i.Shape));
        }

        foreach (var o in s.Outputs)
        {
            io.AddRow("output", Markup.Escape(o.Name), ElementTypes.Name(o.Type), Markup.Escape(o.Shape));
        }

        console.Write(io);
        console.MarkupLine($"{s.NodeCount} nodes, {s.InitializerCount} initializers: {Bytes(s.InlineWeightBytes)} inline, {Bytes(s.ExternalWeightBytes)} external");
        foreach (var file in s.ExternalDataFiles)
        {
            console.MarkupLine($"  external data: {Markup.Escape(file)}");
        }

        foreach (var function in s.Functions)
        {
            console.MarkupLine($"  local function: {Markup.Escape(function)} (not differentiable)");
        }

        var ops = new Table().AddColumns("operator", "count");
        foreach (var (op, count) in s.OperatorHistogram)
        {
            ops.AddRow(Markup.Escape(op), count.ToString(CultureInfo.InvariantCulture));
        }

        console.Write(ops);
        foreach (var d in s.Differentiability)
        {
            if (d.Unsupported.Count == 0)
            {
                console.MarkupLine($"[green]differentiable[/] w.r.t. {Markup.Escape(d.Input)}");
                continue;
            }

            var types = string.Join(", ", d.Unsupported.GroupBy(n => n.OpType).Select(g => $"{g.Key} ×{g.Count()}"));
            console.MarkupLine($"[yellow]not differentiable[/] w.r.t. {Markup.Escape(d.Input)}: no gradient rule for {Markup.Escape(types)}");
            foreach (var node in d.Unsupported.Take(10))
            {
                console.MarkupLine($"    {Markup.Escape(node.OpType)} at '{Markup.Escape(node.NodeName)}'");
            }
        }

        return 0;
    }

    internal static string Bytes(long bytes) => bytes switch
    {
        >= 1L << 30 => $"{bytes / (double)(1L << 30):F2} GiB",
        >= 1L << 20 => $"{bytes / (double)(1L << 20):F1} MiB",
        >= 1L << 10 => $"{bytes / 1024.0:F1} KiB",
        _ => $"{bytes} B",
    };
}
