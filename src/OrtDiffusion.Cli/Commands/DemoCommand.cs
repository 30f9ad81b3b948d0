using System.CommandLine;
using System.Diagnostics;
using OrtDiffusion.Date;
using OrtDiffusion.IO;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
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
        using var clip = RewardModel.Load(zoo.Rewards[RewardKind.Clip]);
        using var aesthetic = RewardModel.Load(zoo.Rewards[RewardKind.Aesthetic]);
        var request = new GenerationRequest { Prompt = prompt, Steps = steps, Seed = seed, Width = 64, Height = 64, Scheduler = "ddim", GuidanceScale = 7.5f };
        var table = new Table().AddColumns("method", "CLIP score", "aesthetic", "time", "UNet calls", "PNG");

        void Add(string method, GenerationResult result, string file)
        {
            var path = Path.Combine(outputFolder, file);
            result.SavePng(path, 0, context.Cancellation);
            var images = result.ImagesZeroToOne();
            table.AddRow(
                method,
                clip.Score(images, prompt, context.Cancellation)[0].ToString("F4", System.Globalization.CultureInfo.InvariantCulture),
                aesthetic.Score(images, prompt, context.Cancellation)[0].ToString("F4", System.Globalization.CultureInfo.InvariantCulture),
                $"{result.Elapsed.TotalSeconds:F2} s",
                result.UnetCalls.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(file));
        }

        var fixedResult = ProgressBars.Run(console, "fixed embedding", p => pipeline.Generate(request, progress: p, cancellationToken: context.Cancellation));
        Add("fixed", fixedResult, "fixed.png");

        // DATE with the CLIP reward, the paper's README example: ρ = 0.5, every 10th step.
        var date = new DateNoisePredictor(clip, pipeline.Model.VaeDecoder, prompt, new DateOptions { Rho = 0.5f, Schedule = DateSchedule.Every(10) });
        var dateResult = ProgressBars.Run(console, "DATE (CLIP, ρ=0.5, every 10)", p => pipeline.Generate(request, date, progress: p, cancellationToken: context.Cancellation));
        Add("DATE", dateResult, "date.png");

        console.MarkupLine($"prompt: [italic]{Markup.Escape(prompt)}[/], DDIM {steps} steps, CFG 7.5, seed {seed}, 64×64");
        console.MarkupLine("DATE: CLIP-score reward, ρ = 0.5, updates at every 10th step (the paper's README example)");
        console.Write(table);
        console.MarkupLine($"PNGs in {Markup.Escape(outputFolder)} (the first DATE run also builds and caches the VJP graphs)");
        console.MarkupLine($"done in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
