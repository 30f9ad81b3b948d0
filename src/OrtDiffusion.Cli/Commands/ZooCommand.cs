using System.CommandLine;
using System.Diagnostics;
using OrtDiffusion.TinyModels;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary><c>ortdiff zoo --out DIR</c>: writes the tiny model zoo.</summary>
internal static class ZooCommand
{
    public static Command Create(CliContext context)
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to write the zoo into (sd15/, rewards/…).", Required = true };
        var seed = new Option<long>("--seed") { Description = "Seed of the random weights.", DefaultValueFactory = _ => 0 };
        var opset = new Option<int>("--opset") { Description = "ONNX opset of the exported graphs (14 or 17).", DefaultValueFactory = _ => 17 };
        var fp16 = new Option<bool>("--fp16") { Description = "Write float16 models, as Optimum's --fp16 export does." };
        var command = new Command("zoo", "Write the tiny model zoo: seeded random-weight models with the real contracts, in the real folder layouts.") { output, seed, opset, fp16 };
        command.SetAction(r => CliApplication.Guard(context, () =>
        {
            var options = TinyZooOptions.Default with { Seed = r.GetValue(seed), Opset = r.GetValue(opset), Float16 = r.GetValue(fp16) };
            var clock = Stopwatch.StartNew();
            var layout = TinyZoo.WriteAll(r.GetValue(output)!.FullName, options, context.Cancellation);
            context.Console.MarkupLine($"tiny zoo ready in {clock.Elapsed.TotalMilliseconds:F0} ms");
            context.Console.MarkupLine($"  stable diffusion: {Markup.Escape(layout.StableDiffusion)}");
            foreach (var (kind, folder) in layout.Rewards)
            {
                context.Console.MarkupLine($"  reward {TinyZoo.RewardFolderName(kind)}: {Markup.Escape(folder)}");
            }

            return 0;
        }));
        return command;
    }
}
