using System.CommandLine;
using System.Diagnostics;
using OrtDiffusion.Date;
using OrtDiffusion.IO;
using OrtDiffusion.Ipgo;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary>
/// <c>ortdiff demo</c>: the main job on the embedded default. Builds the tiny zoo in the cache, generates with a
/// fixed embedding, with DATE and with IPGO tokens trained for a few epochs on Stable Diffusion, and fixed vs DATE on
/// PixArt-α; writes PNGs and prints the rewards, times and model calls of each.
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
        var epochs = new Option<int>("--ipgo-epochs") { Description = "IPGO training epochs.", DefaultValueFactory = _ => 10 };
        var command = new Command("demo", "Run the main job on the tiny model zoo: generate with a fixed embedding and with the reward-guided methods, write PNGs, compare rewards.")
        {
            output, prompt, steps, seed, epochs,
        };
        command.SetAction(r => CliApplication.Guard(context, () => Run(context, r.GetValue(output)!.FullName, r.GetValue(prompt)!, r.GetValue(steps), r.GetValue(seed), r.GetValue(epochs))));
        return command;
    }

    private static int Run(CliContext context, string outputFolder, string prompt, int steps, ulong seed, int ipgoEpochs)
    {
        if (steps < 1 || ipgoEpochs < 1)
        {
            throw new ArgumentException("--steps and --ipgo-epochs must be at least 1.");
        }

        var console = context.Console;
        var clock = Stopwatch.StartNew();
        var zoo = TinyZoo.WriteAll(CacheFolders.Get($"tinyzoo-v{TinyZoo.Version}"), cancellation: context.Cancellation);
        console.MarkupLine($"tiny zoo: {Markup.Escape(zoo.Root)} ({clock.Elapsed.TotalMilliseconds:F0} ms)");
        Directory.CreateDirectory(outputFolder);

        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var clip = RewardModel.Load(zoo.Rewards[RewardKind.Clip]);
        using var aesthetic = RewardModel.Load(zoo.Rewards[RewardKind.Aesthetic]);
        var request = new GenerationRequest { Prompt = prompt, Steps = steps, Seed = seed, Width = 64, Height = 64, Scheduler = "ddim", GuidanceScale = 7.5f };
        var table = new Table().AddColumns("model", "method", "CLIP score", "aesthetic", "time", "denoiser calls", "PNG");

        void Add(string model, string method, GenerationResult result, string file)
        {
            var path = Path.Combine(outputFolder, file);
            result.SavePng(path, 0, context.Cancellation);
            var images = result.ImagesZeroToOne();
            table.AddRow(
                model,
                method,
                clip.Score(images, prompt, context.Cancellation)[0].ToString("F4", System.Globalization.CultureInfo.InvariantCulture),
                aesthetic.Score(images, prompt, context.Cancellation)[0].ToString("F4", System.Globalization.CultureInfo.InvariantCulture),
                $"{result.Elapsed.TotalSeconds:F2} s",
                result.DenoiserCalls.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(file));
        }

        var fixedResult = ProgressBars.Run(console, "fixed embedding", p => pipeline.Generate(request, progress: p, cancellationToken: context.Cancellation));
        Add("SD v1.5", "fixed", fixedResult, "fixed.png");

        // DATE with the CLIP reward, the paper's README example: ρ = 0.5, every 10th step.
        var date = new DateNoisePredictor(clip, pipeline.Model.VaeDecoder, prompt, new DateOptions { Rho = 0.5f, Schedule = DateSchedule.Every(10) });
        var dateResult = ProgressBars.Run(console, "DATE (CLIP, ρ=0.5, every 10)", p => pipeline.Generate(request, date, progress: p, cancellationToken: context.Cancellation));
        Add("SD v1.5", "DATE", dateResult, "date.png");

        // IPGO: prefix/suffix tokens learned against the same reward with the paper's optimiser settings, sampled
        // with the demo's scheduler so the fixed row is its baseline; then the best tokens generate the prompt.
        var trainer = new IpgoTrainer(pipeline, clip);
        var ipgoOptions = IpgoOptions.ForTextWidth(trainer.TextWidth) with
        {
            Epochs = ipgoEpochs, Steps = steps, Scheduler = "ddim", Seed = seed, Width = 64, Height = 64,
        };
        var tokens = trainer.CreateTokens(ipgoOptions, [prompt]);
        var training = IpgoProgressBar.Run(console, tokens, p => trainer.Train(tokens, p, cancellationToken: context.Cancellation));
        var tokensPath = Path.Combine(outputFolder, "ipgo.tokens");
        tokens.Save(tokensPath, context.Cancellation);
        var ipgoRequest = request with { Embeddings = tokens.Embed(pipeline.Model.TextEncoder, prompt) };
        var ipgoResult = ProgressBars.Run(console, "IPGO tokens", p => pipeline.Generate(ipgoRequest, progress: p, cancellationToken: context.Cancellation));
        Add("SD v1.5", "IPGO", ipgoResult, "ipgo.png");

        // PixArt-α: its defaults (DPM-Solver++ 20 steps, CFG 4.5) and DATE's 50 % updates, the paper's PixArt setting.
        using var pixart = DiffusionModelFolder.OpenPipeline(zoo.PixArt);
        var pixartRequest = pixart.DefaultRequest with { Prompt = prompt, Seed = seed };
        var pixartFixed = ProgressBars.Run(console, "PixArt-α fixed", p => pixart.Generate(pixartRequest, progress: p, cancellationToken: context.Cancellation));
        Add("PixArt-α", "fixed", pixartFixed, "pixart-fixed.png");
        var pixartDate = new DateNoisePredictor(clip, pixart.Decoder, prompt, new DateOptions { Rho = 0.5f, Schedule = DateSchedule.Every(2) });
        var pixartDateResult = ProgressBars.Run(console, "PixArt-α DATE (every 2)", p => pixart.Generate(pixartRequest, pixartDate, progress: p, cancellationToken: context.Cancellation));
        Add("PixArt-α", "DATE", pixartDateResult, "pixart-date.png");

        console.MarkupLine($"prompt: [italic]{Markup.Escape(prompt)}[/], seed {seed}; SD v1.5: DDIM {steps} steps, CFG 7.5, 64×64; PixArt-α: {pixartRequest.Steps} steps, CFG {pixartRequest.GuidanceScale}, {pixartRequest.Width}×{pixartRequest.Height}");
        console.MarkupLine("DATE: CLIP-score reward, ρ = 0.5, updates at every 10th step on SD (the paper's README example), every 2nd on PixArt-α (50 %)");
        console.MarkupLine($"IPGO: {tokens.Prefix.Length}+{tokens.Suffix.Length} tokens, {ipgoEpochs} epochs against the CLIP score (Adam, lr {ipgoOptions.LearningRate}): reward of x₀ {training.InitialReward:F4} → best {training.BestReward:F4} in {training.Elapsed.TotalSeconds:F1} s; tokens in {Markup.Escape(tokensPath)}");
        console.Write(table);
        console.MarkupLine($"PNGs in {Markup.Escape(outputFolder)} (the first DATE run also builds and caches the VJP graphs)");
        console.MarkupLine($"done in {clock.Elapsed.TotalSeconds:F1} s");
        return 0;
    }
}
