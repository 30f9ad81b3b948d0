using System.CommandLine;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary><c>ortdiff generate …</c>: text-to-image and image-to-image to PNG files.</summary>
internal static class GenerateCommand
{
    public static Command Create(CliContext context)
    {
        var options = new GenerateOptions();
        var output = new Option<FileInfo>("--out") { Description = "The PNG to write (FILE-0.png, FILE-1.png… for a batch).", Required = true };
        var command = new Command("generate", "Generate images with a Stable Diffusion model folder.");
        foreach (var option in options.All)
        {
            command.Options.Add(option);
        }

        command.Options.Add(output);
        command.SetAction(r => CliApplication.Guard(context, () =>
        {
            var request = options.ToRequest(r);
            var execution = ExecutionOptions.Default with { Device = r.GetValue(options.Device) };
            using var pipeline = StableDiffusionPipeline.Load(r.GetValue(options.Model)!.FullName, execution);
            var result = ProgressBars.Run(context.Console, "sampling", progress => pipeline.Generate(request, progress: progress, cancellationToken: context.Cancellation));
            var paths = GenerateOptions.OutputPaths(r.GetValue(output)!.FullName, request.BatchSize);
            for (var i = 0; i < paths.Length; i++)
            {
                result.SavePng(paths[i], i, context.Cancellation);
                context.Console.MarkupLine($"wrote [bold]{Markup.Escape(paths[i])}[/]");
            }

            if (result.PromptTruncated)
            {
                context.Console.MarkupLine("[yellow]note:[/] the prompt was longer than the text encoder takes and was truncated");
            }

            context.Console.MarkupLine($"{result.Parameters.Steps} steps in {result.Elapsed.TotalSeconds:F2} s ({result.UnetCalls} UNet calls)");
            return 0;
        }));
        return command;
    }
}
