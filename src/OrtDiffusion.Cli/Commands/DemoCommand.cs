using System.CommandLine;
using System.Diagnostics;
using OrtDiffusion.IO;
using OrtDiffusion.Pipelines;
using OrtDiffusion.TinyModels;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary>
/// <c>ortdiff demo</c>: the main job on the embedded default. Builds the tiny zoo in the cache, generates with a
/// fixed embedding (and with the reward-guided methods as they exist), writes PNGs and prints what it did.
/// </summary>
internal static class DemoCommand
{
    public const string DefaultPrompt = "a photo of a cat on a mountain at sunset";

    public static Command Create(CliContext context)
    {
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the PNGs.", DefaultValueFactory = _ => new DirectoryInfo("ortdiff-demo") };
        var prompt = new Option<string>("--prompt") { Description = "The prompt.", DefaultValueFactory = _ => DefaultPrompt };
        var steps = new Option<int>("--steps") { Description = "DDIM steps.", DefaultValueFactory = _ => 50 };
        var seed = new Option<ulong>("--seed") { Description = "Seed.", DefaultValueFactory = _ => 0UL };
        var command = new Command("demo", "Run the main job on the tiny model zoo: generate with a fixed embedding and with the reward-guided methods, write PNGs, compare rewards.")
        {
            output, prompt, steps, seed,
        };
        command.SetAction(r => CliApplication.Guard(context, () => Run(context, r.GetValue(output)!.FullName, r.GetValue(prompt)!, r.GetValue(steps), r.GetValue(seed))));
        return command;
    }

    private static int Run(CliContext context, string outputFolder, string prompt, int steps, ulong seed)
    {
        var console = context.Console;
        var clock = Stopwatch.StartNew();
        var zoo = TinyZoo.WriteAll(CacheFolders.Get($"tinyzoo-v{TinyZoo.Version}"), cancellation: context.Cancellation);
        console.MarkupLine($"tiny zoo: {Markup.Escape(zoo.Root)} ({clock.Elapsed.TotalMilliseconds:F0} ms)");
        Directory.CreateDirectory(outputFolder);

        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var request = new GenerationRequest { Prompt = prompt, Steps = steps, Seed = seed, Width = 64, Height = 64, Scheduler = "ddim", GuidanceScale = 7.5f };
        var table = new Table().AddColumns("method", "time", "UNet calls", "image");
        var fixedResult = ProgressBars.Run(console, "fixed embedding", p => pipeline.Generate(request, progress: p, cancellationToken: context.Cancellation));
        var fixedPath = Path.Combine(outputFolder, "fixed.png");
        fixedResult.SavePng(fixedPath, 0, context.Cancellation);
        table.AddRow("fixed embedding", $"{fixedResult.Elapsed.TotalSeconds:F2} s", fixedResult.UnetCalls.ToString(System.Globalization.CultureInfo.InvariantCulture), Markup.Escape(fixedPath));

        console.MarkupLine($"prompt: [italic]{Markup.Escape(prompt)}[/], DDIM {steps} steps, CFG 7.5, seed {seed}, 64×64");
        console.Write(table);
        console.MarkupLine($"done in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
