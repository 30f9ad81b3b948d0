using System.CommandLine;
using System.Globalization;
using OrtDiffusion.Imaging;
using OrtDiffusion.Rewards;
using OrtDiffusion.Ipgo;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Schedulers;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary>
/// <c>ortdiff ipgo train</c>: trains tokens on one prompt (<c>--prompt</c>, the paper's per-prompt setting) or a
/// prompt file (<c>--prompts</c>, batch training with gradient accumulation), saving them to <c>--out</c> after every
/// epoch so an interrupted run continues with <c>--resume</c>.
/// </summary>
internal static class IpgoTrainCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "The model folder (Optimum layout).", Required = true };
        var rewards = new Option<string[]>("--reward") { Description = "A reward folder, optionally weighted: DIR[=weight]; repeat for a weighted sum.", Required = true, AllowMultipleArgumentsPerToken = true };
        var prompt = new Option<string?>("--prompt") { Description = "Train on this prompt." };
        var promptFile = new Option<FileInfo?>("--prompts") { Description = "Train shared tokens on these prompts (one per line; blank lines and lines starting with # are skipped)." };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs in all (default 50 for a prompt, 20 for a prompt file; with --resume, the file's)." };
        var lr = new Option<double?>("--lr") { Description = "Adam's learning rate (default 0.001)." };
        var prefix = new Option<int?>("--prefix") { Description = "Prefix tokens (default 10)." };
        var suffix = new Option<int?>("--suffix") { Description = "Suffix tokens (default 10)." };
        var basis = new Option<int?>("--basis") { Description = "Basis size K (default min(300, text width / 2): 300 for SD v1.5)." };
        var accumulation = new Option<int?>("--accumulation") { Description = "Prompts per optimiser step (default 1 for a prompt, 4 for a prompt file)." };
        var seed = new Option<ulong?>("--seed") { Description = "Seed of the initial noise, the same every epoch (default 0)." };
        var steps = new Option<int?>("--steps") { Description = "Sampling steps (default 50)." };
        var scheduler = new Option<string?>("--scheduler") { Description = $"Scheduler: {string.Join("|", SchedulerFactory.Names)} (default lms)." };
        var guidance = new Option<float?>("--guidance") { Description = "Classifier-free guidance scale (default 7.5)." };
        var truncate = new Option<int?>("--truncate") { Description = "Back-propagate through the last K sampling steps (default 1, the paper; the released code uses 2)." };
        var noRotation = new Option<bool>("--no-rotation") { Description = "Leave out the pairwise rotation (as the released code, whose angles are unused)." };
        var size = new Option<int?>("--size") { Description = "Image width and height (default 512)." };
        var output = new Option<FileInfo>("--out") { Description = "The tokens file to write (after every epoch).", Required = true };
        var plot = new Option<FileInfo?>("--plot") { Description = "Write the reward curve as SVG." };
        var image = new Option<FileInfo?>("--image") { Description = "Write the best epoch's image as PNG (one prompt)." };
        var resume = new Option<FileInfo?>("--resume") { Description = "Continue training from this tokens file (its settings and prompts)." };
        var device = DeviceOption.Create();
        var command = new Command("train", "Learn IPGO prefix and suffix tokens for a prompt or a prompt file.")
        {
            model, rewards, prompt, promptFile, epochs, lr, prefix, suffix, basis, accumulation, seed, steps, scheduler, guidance, truncate, noRotation, size, output, plot, image, resume, device,
        };

        command.SetAction(r => CliApplication.Guard(context, () =>
        {
            var execution = ExecutionOptions.Default with { Device = r.GetValue(device) };
            using var pipeline = StableDiffusionPipeline.Load(r.GetValue(model)!.FullName, execution);
            using var reward = RewardSpec.Load(r.GetValue(rewards) ?? [], execution);
            var trainer = new IpgoTrainer(pipeline, reward);
            var prompts = Prompts(r.GetValue(prompt), r.GetValue(promptFile));
            IpgoTokens tokens;
            if (r.GetValue(resume) is { } from)
            {
                tokens = IpgoTokens.Load(from.FullName);
                Option[] settings = [lr, prefix, suffix, basis, accumulation, seed, steps, scheduler, guidance, truncate, size];
                var given = settings.Where(o => r.GetResult(o) is not null).Select(o => o.Name).ToList();
                if (r.GetValue(noRotation))
                {
                    given.Add(noRotation.Name);
                }

                if (given.Count > 0)
                {
                    throw new ArgumentException($"--resume continues with the settings stored in '{from.Name}'; leave out {string.Join(", ", given)} (or start a new run).");
                }

                if (prompts is not null && !prompts.SequenceEqual(tokens.Metadata.Prompts))
                {
                    throw new ArgumentException($"--resume continues training on the prompts stored in '{from.Name}'; leave out --prompt/--prompts or start a new run.");
                }

                if (r.GetValue(epochs) is { } total)
                {
                    tokens.ContinueTo(total);
                }

                context.Console.MarkupLine($"resuming [bold]{Markup.Escape(from.Name)}[/] after epoch {tokens.History.EpochsDone} of {tokens.Options.Epochs}");
            }
            else
            {
                if (prompts is null)
                {
                    throw new ArgumentException("Give --prompt TEXT or --prompts FILE (or --resume TOKENS).");
                }

                var width = trainer.TextWidth;
                var batch = prompts.Count > 1 || r.GetValue(promptFile) is not null;
                var defaults = batch ? IpgoOptions.BatchForTextWidth(width) : IpgoOptions.ForTextWidth(width);
                var options = defaults with
                {
                    Epochs = r.GetValue(epochs) ?? defaults.Epochs,
                    LearningRate = r.GetValue(lr) ?? defaults.LearningRate,
                    PrefixLength = r.GetValue(prefix) ?? defaults.PrefixLength,
                    SuffixLength = r.GetValue(suffix) ?? defaults.SuffixLength,
                    BasisSize = r.GetValue(basis) ?? defaults.BasisSize,
                    AccumulationSteps = r.GetValue(accumulation) ?? defaults.AccumulationSteps,
                    Seed = r.GetValue(seed) ?? defaults.Seed,
                    Steps = r.GetValue(steps) ?? defaults.Steps,
                    Scheduler = r.GetValue(scheduler) ?? defaults.Scheduler,
                    GuidanceScale = r.GetValue(guidance) ?? defaults.GuidanceScale,
                    Truncate = r.GetValue(truncate) ?? defaults.Truncate,
                    Rotation = !r.GetValue(noRotation),
                    Width = r.GetValue(size) ?? defaults.Width,
                    Height = r.GetValue(size) ?? defaults.Height,
                };
                options.Validate(width);
                tokens = trainer.CreateTokens(options, prompts);
            }

            var path = r.GetValue(output)!.FullName;
            var result = IpgoProgressBar.Run(context.Console, tokens, progress =>
                trainer.Train(tokens, progress, t => t.Save(path, context.Cancellation), context.Cancellation));
            Summarise(context.Console, result, path);

            if (r.GetValue(plot) is { } svg && tokens.History.EpochsDone > 0)
            {
                RewardCurvePlot.Write(svg.FullName, tokens.History.EpochRewards, $"IPGO {tokens.Metadata.Reward}: {Title(tokens)}");
                context.Console.MarkupLine($"wrote [bold]{Markup.Escape(svg.FullName)}[/]");
            }

            if (r.GetValue(image) is { } png)
            {
                if (result.BestImage is { } best)
                {
                    var pixels = ImageTensor.ToImages(best.Data, [.. best.Shape.Select(d => (int)d)], ImageValueRange.ZeroToOne)[0];
                    PngWriter.Write(png.FullName, pixels, new GenerationParameters
                    {
                        Prompt = tokens.Metadata.Prompts[0],
                        Steps = tokens.Options.Steps,
                        Sampler = tokens.Options.Scheduler,
                        CfgScale = tokens.Options.GuidanceScale,
                        Seed = tokens.Options.Seed,
                        Width = tokens.Options.Width,
                        Height = tokens.Options.Height,
                        Model = tokens.Metadata.BaseModel,
                        Extra = [KeyValuePair.Create("IPGO reward", tokens.History.BestReward.ToString("G6", CultureInfo.InvariantCulture))],
                    }, cancellationToken: context.Cancellation);
                    context.Console.MarkupLine($"wrote [bold]{Markup.Escape(png.FullName)}[/]");
                }
                else
                {
                    context.Console.MarkupLine("[yellow]note:[/] no best image this run (batch training, or the best epoch was before --resume); use 'ortdiff ipgo apply'");
                }
            }

            return 0;
        }));
        return command;
    }

    private static string Title(IpgoTokens tokens) =>
        tokens.Metadata.Prompts.Count == 1 ? $"\"{tokens.Metadata.Prompts[0]}\"" : $"{tokens.Metadata.Prompts.Count} prompts";

    private static List<string>? Prompts(string? prompt, FileInfo? file)
    {
        if (prompt is not null && file is not null)
        {
            throw new ArgumentException("Give either --prompt or --prompts, not both.");
        }

        if (prompt is not null)
        {
            return [prompt];
        }

        if (file is null)
        {
            return null;
        }

        if (!file.Exists)
        {
            throw new FileNotFoundException($"The prompt file '{file.FullName}' does not exist.", file.FullName);
        }

        var prompts = File.ReadAllLines(file.FullName).Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        return prompts.Count > 0 ? prompts : throw new ArgumentException($"The prompt file '{file.FullName}' has no prompts.");
    }

    private static void Summarise(IAnsiConsole console, IpgoTrainingResult result, string path)
    {
        var history = result.Tokens.History;
        var best = double.IsNaN(history.BestReward) ? "—" : $"{history.BestReward:F4} (epoch {history.BestEpoch + 1})";
        console.MarkupLine($"reward: first epoch {history.InitialReward:F4}, last {history.EpochRewards[^1]:F4}, best {best}");
        var share = result.Elapsed > TimeSpan.Zero ? result.ModelTime / result.Elapsed : 0;
        console.MarkupLine($"{history.EpochsDone} epochs ({result.Tokens.ParameterCount:N0} parameters) in {result.Elapsed.TotalSeconds:F1} s this run, {share:P0} in model calls");
        console.MarkupLine($"wrote [bold]{Markup.Escape(path)}[/]");
    }
}
