using System.CommandLine;
using OrtDiffusion.Evaluation;
using OrtDiffusion.Models;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary><c>ortdiff eval fid-stats --fid-model DIR --images DIR --out STATS.npz</c>: reference statistics, computed once for every shard.</summary>
internal static class EvalFidStatsCommand
{
    public static Command Create(CliContext context)
    {
        var model = new Option<DirectoryInfo>("--fid-model") { Description = "The FID network folder.", Required = true };
        var images = new Option<DirectoryInfo>("--images") { Description = "A folder of reference PNGs (e.g. COCO val images resized as the paper did).", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "The .npz to write (mu, sigma, n; pytorch-fid reads it too).", Required = true };
        var device = DeviceOption.Create();
        var command = new Command("fid-stats", "Compute FID reference statistics (mu, sigma) of a folder of PNGs.") { model, images, output, device };
        command.SetAction(r => CliApplication.Guard(context, () =>
        {
            using var extractor = FidFeatureExtractor.Load(r.GetValue(model)!.FullName, ExecutionOptions.Default with { Device = r.GetValue(device) });
            var moments = FidReference.FromImages(r.GetValue(images)!.FullName, extractor, cancellation: context.Cancellation);
            var path = r.GetValue(output)!.FullName;
            moments.ToGaussian().Save(path);
            context.Console.MarkupLine($"{moments.Count} images, {moments.Dimension} features: wrote [bold]{Markup.Escape(path)}[/]");
            return 0;
        }));
        return command;
    }
}
