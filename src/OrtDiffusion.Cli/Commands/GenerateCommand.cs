using System.CommandLine;
using OrtDiffusion.Date;
using OrtDiffusion.Ipgo;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary>
/// <c>ortdiff generate …</c>: text-to-image (Stable Diffusion or PixArt-α, detected from the folder's
/// <c>model_index.json</c>) and image-to-image (SD) to PNG files, optionally with DATE and/or learned IPGO tokens.
/// </summary>
internal static class GenerateCommand
{
    public static Command Create(CliContext context)
    {
        var options = new GenerateOptions();
        var date = new DateCliOptions();
        var output = new Option<FileInfo>("--out") { Description = "The PNG to write (FILE-0.png, FILE-1.png… for a batch).", Required = true };
        var tokens = new Option<FileInfo?>("--tokens") { Description = "Wrap the prompt in IPGO tokens learned by 'ortdiff ipgo train' (Stable Diffusion; the best epoch's tokens)." };
        var command = new Command("generate", "Generate images with a Stable Diffusion or PixArt-α model folder, optionally adapting the text embedding with DATE or wrapping it in learned IPGO tokens.");
        foreach (var option in options.All.Concat(date.All))
        {
            command.Options.Add(option);
        }

        command.Options.Add(tokens);
        command.Options.Add(output);
        command.SetAction(r => CliApplication.Guard(context, () => Run(context, r, options, date, r.GetValue(tokens), r.GetValue(output)!.FullName)));
        return command;
    }

    private static int Run(CliContext context, ParseResult r, GenerateOptions options, DateCliOptions date, FileInfo? tokensFile, string outputPath)
    {
        var console = context.Console;
        var execution = ExecutionOptions.Default with { Device = r.GetValue(options.Device) };

        // Read the small files before opening any model, so a bad one fails fast.
        var tokens = tokensFile is null ? null : IpgoTokens.Load(tokensFile.FullName);
        var modelFolder = r.GetValue(options.Model)!.FullName;
        var backbone = DiffusionModelFolder.DetectBackbone(modelFolder);
        if (tokens is not null && backbone != DiffusionBackbone.StableDiffusion)
        {
            throw new NotSupportedException($"--tokens: IPGO tokens wrap a CLIP text encoder's output; '{modelFolder}' is a {backbone} model.");
        }

        using var pipeline = DiffusionModelFolder.OpenPipeline(modelFolder, execution);
        var request = options.ToRequest(r, pipeline.DefaultRequest);
        if (tokens is not null)
        {
            var encoder = ((StableDiffusionPipeline)pipeline).Model.TextEncoder;
            request = request with { Embeddings = tokens.Embed(encoder, request.Prompt, request.NegativePrompt) };
            console.MarkupLine($"IPGO tokens: {tokens.Prefix.Length} prefix + {tokens.Suffix.Length} suffix from [bold]{Markup.Escape(tokensFile!.Name)}[/]");
        }

        using var reward = date.Enabled(r) ? RewardSpec.Load(r.GetValue(date.Rewards)!, execution) : null;
        DateNoisePredictor? predictor = null;
        if (reward is not null)
        {
            predictor = new DateNoisePredictor(reward, pipeline.Decoder, request.Prompt, date.ToOptions(r));
        }

        var result = ProgressBars.Run(console, predictor is null ? "sampling" : "sampling with DATE", progress =>
            pipeline.Generate(request, predictor, progress: progress, cancellationToken: context.Cancellation));
        var paths = GenerateOptions.OutputPaths(outputPath, request.BatchSize);
        for (var i = 0; i < paths.Length; i++)
        {
            result.SavePng(paths[i], i, context.Cancellation);
            console.MarkupLine($"wrote [bold]{Markup.Escape(paths[i])}[/]");
        }

        if (result.PromptTruncated)
        {
            console.MarkupLine("[yellow]note:[/] the prompt was longer than the text encoder takes and was truncated");
        }

        console.MarkupLine($"{result.Parameters.Steps} steps in {result.Elapsed.TotalSeconds:F2} s ({result.DenoiserCalls} {(pipeline.Backbone == DiffusionBackbone.PixArtAlpha ? "transformer" : "UNet")} calls)");
        if (predictor is not null)
        {
            Summarise(context, r, date, predictor, reward!, result, request.Prompt);
        }

        return 0;
    }

    private static void Summarise(CliContext context, ParseResult r, DateCliOptions date, DateNoisePredictor predictor, IReward reward, GenerationResult result, string prompt)
    {
        var summary = DateRunSummary.From(predictor.Trace, result.Elapsed);
        var final = reward.Score(result.ImagesZeroToOne(), prompt, context.Cancellation);
        var console = context.Console;
        console.MarkupLine($"DATE ({Markup.Escape(predictor.Options.Schedule.Description)}, ρ = {predictor.Options.Rho}): {summary.UpdateSteps} update steps, {summary.SkippedUpdates} skipped");
        if (summary.MeanRewardGainPerUpdate is double gain)
        {
            console.MarkupLine($"  mean {Markup.Escape(reward.Name)} gain of x̄₀ per update: {gain:+0.0000;-0.0000}");
        }

        console.MarkupLine($"  final {Markup.Escape(reward.Name)}: {string.Join(", ", final.Select(f => f.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))}");
        console.MarkupLine(summary.Overhead is double overhead
            ? $"  time {summary.TotalMilliseconds / 1000:F2} s, ≈{overhead:F2}× a fixed-embedding run (estimated from this run's plain steps)"
            : $"  time {summary.TotalMilliseconds / 1000:F2} s (every step updated; no plain step to estimate a fixed run from)");
        if (r.GetValue(date.Trace) is { } trace)
        {
            summary.WriteTrace(trace.FullName, predictor.Options, predictor.Trace, reward.Name);
            console.MarkupLine($"  trace: {Markup.Escape(trace.FullName)}");
        }
    }
}
