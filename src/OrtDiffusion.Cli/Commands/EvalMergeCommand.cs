using System.CommandLine;
using OrtDiffusion.Evaluation;
using OrtDiffusion.Models;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary><c>ortdiff eval merge DIR… --out DIR</c>: sums the shards' results and FID statistics into one summary.</summary>
internal static class EvalMergeCommand
{
    public static Command Create(CliContext context)
    {
        var folders = new Argument<DirectoryInfo[]>("folders") { Description = "The shard run folders.", Arity = ArgumentArity.OneOrMore };
        var output = new Option<DirectoryInfo>("--out") { Description = "The merged folder (results.jsonl pointing at the shards' images, stats, summary, plots).", Required = true };
        var reference = new Option<string?>("--fid-reference") { Description = "FID reference to use instead of the one the shards cached: .npz statistics or a folder of PNGs." };
        var fidModel = new Option<DirectoryInfo?>("--fid-model") { Description = "The FID network, when --fid-reference is a folder of PNGs." };
        var partial = new Option<bool>("--allow-partial") { Description = "Merge even when shards or items are missing." };
        var device = DeviceOption.Create();
        var command = new Command("merge", "Merge the folders of a sharded evaluation: results, exact FID statistics, tables and plots.") { folders, output, reference, fidModel, partial, device };
        command.SetAction(r => CliApplication.Guard(context, () =>
        {
            var result = EvaluationMerger.Merge(
                [.. r.GetValue(folders)!.Select(f => f.FullName)],
                r.GetValue(output)!.FullName,
                new MergeOptions
                {
                    FidReference = r.GetValue(reference),
                    FidModel = r.GetValue(fidModel)?.FullName,
                    AllowPartial = r.GetValue(partial),
                    Execution = ExecutionOptions.Default with { Device = r.GetValue(device) },
                },
                context.Cancellation);
            var console = context.Console;
            console.MarkupLine($"merged {result.Shards} shard folder(s) into [bold]{Markup.Escape(result.Folder)}[/]");
            if (result.MissingItems > 0)
            {
                console.MarkupLine($"[yellow]partial:[/] {result.MissingItems} item(s) missing");
            }

            if (result.RecomputedStatistics > 0)
            {
                console.MarkupLine($"note: {result.RecomputedStatistics} shard statistics file(s) were missing or stale and were recomputed from the features");
            }

            console.WriteLine();
            console.Write(new Spectre.Console.Text(SummaryWriter.Markdown(result.Summary)));
            return 0;
        }));
        return command;
    }
}
