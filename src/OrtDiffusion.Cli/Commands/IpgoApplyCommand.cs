using System.CommandLine;
using OrtDiffusion.Ipgo;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary><c>ortdiff ipgo apply</c>: generates a prompt with learned IPGO tokens (sampling settings default to the training ones).</summary>
internal static class IpgoApplyCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<DirectoryInfo>("--model") { Description = "The model folder (Optimum layout).", Required = true };
        var tokensFile = new Option<FileInfo>("--tokens") { Description = "The tokens file written by 'ortdiff ipgo train'.", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "The prompt (a training prompt or a new one).", Required = true };
        var negative = new Option<string>("--negative") { Description = "The negative prompt.", DefaultValueFactory = _ => string.Empty };
        var last = new Option<bool>("--last") { Description = "Use the last tokens instead of the best ones." };
        var steps = new Option<int?>("--steps") { Description = "Sampling steps (default: as trained)." };
        var scheduler = new Option<string?>("--scheduler") { Description = "Scheduler (default: as trained)." };
        var guidance = new Option<float?>("--guidance") { Description = "Guidance scale (default: as trained)." };
        var seed = new Option<ulong?>("--seed") { Description = "Seed (default: as trained)." };
        var size = new Option<int?>("--size") { Description = "Image width and height (default: as trained)." };
        var output = new Option<FileInfo>("--out") { Description = "The PNG to write.", Required = true };
        var device = DeviceOption.Create();
        var command = new Command("apply", "Generate an image with learned IPGO tokens.")
        {
            model, tokensFile, prompt, negative, last, steps, scheduler, guidance, seed, size, output, device,
        };

        command.SetAction(r => CliApplication.Guard(context, () =>
        {
            var tokens = IpgoTokens.Load(r.GetValue(tokensFile)!.FullName);
            var trained = tokens.Options;
            using var pipeline = StableDiffusionPipeline.Load(r.GetValue(model)!.FullName, ExecutionOptions.Default with { Device = r.GetValue(device) });
            var text = r.GetValue(prompt)!;
            var request = new GenerationRequest
            {
                Prompt = text,
                NegativePrompt = r.GetValue(negative) ?? string.Empty,
                Steps = r.GetValue(steps) ?? trained.Steps,
                Scheduler = r.GetValue(scheduler) ?? trained.Scheduler,
                GuidanceScale = r.GetValue(guidance) ?? trained.GuidanceScale,
                Seed = r.GetValue(seed) ?? trained.Seed,
                Width = r.GetValue(size) ?? trained.Width,
                Height = r.GetValue(size) ?? trained.Height,
                Embeddings = tokens.Embed(pipeline.Model.TextEncoder, text, r.GetValue(negative) ?? string.Empty, best: !r.GetValue(last)),
            };
            var result = ProgressBars.Run(context.Console, "sampling", progress => pipeline.Generate(request, progress: progress, cancellationToken: context.Cancellation));
            var path = r.GetValue(output)!.FullName;
            result.SavePng(path, 0, context.Cancellation);
            context.Console.MarkupLine($"wrote [bold]{Markup.Escape(path)}[/] ({tokens.Prefix.Length} prefix + {tokens.Suffix.Length} suffix tokens from {Markup.Escape(r.GetValue(tokensFile)!.Name)})");
            return 0;
        }));
        return command;
    }
}
