using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using OrtDiffusion.Imaging;
using OrtDiffusion.Models;
using OrtDiffusion.Rewards;
using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;
using Spectre.Console;

namespace OrtDiffusion.Cli.Commands;

/// <summary>
/// <c>ortdiff score --reward DIR[=weight]… --prompt TEXT [--json] [--device cpu|cuda] IMAGE…</c>: scores PNG images
/// with one or more rewards and prints each reward's score and the weighted total, as a table or as JSON.
/// </summary>
internal static class ScoreCommand
{
    public static Command Create(CliContext context)
    {
        var rewards = new Option<string[]>("--reward")
        {
            Description = "A reward folder, optionally weighted: DIR[=weight] (repeat for a weighted sum, e.g. --reward rewards/clip --reward rewards/aesthetic=0.05).",
            Arity = ArgumentArity.OneOrMore,
            AllowMultipleArgumentsPerToken = false,
            Required = true,
        };
        var prompt = new Option<string>("--prompt") { Description = "The prompt the images are scored against.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print JSON instead of a table." };
        var device = DeviceOption.Create();
        var images = new Argument<string[]>("images") { Description = "PNG files to score.", Arity = ArgumentArity.OneOrMore };
        var command = new Command("score", "Score PNG images with rewards (CLIP score, LAION aesthetic, ImageReward, HPSv2) and their weighted sum.") { rewards, prompt, json, device, images };
        command.SetAction(r => CliApplication.Guard(context, () =>
            Execute(context, r.GetValue(rewards)!, r.GetValue(prompt)!, r.GetValue(images)!, r.GetValue(json), r.GetValue(device))));
        return command;
    }

    private static int Execute(CliContext context, string[] specs, string prompt, string[] imagePaths, bool asJson, ExecutionDevice device)
    {
        var parsed = specs.Select(RewardSpec.Parse).ToList();
        var options = new ExecutionOptions { Device = device };
        var loaded = new List<WeightedRewardTerm>();
        try
        {
            foreach (var spec in parsed)
            {
                loaded.Add(new WeightedRewardTerm(RewardModel.Load(spec.Folder, options), spec.Weight));
            }

            var names = UniqueNames(loaded.Select(t => t.Reward.Name));
            var rows = new List<(string Image, float[] Scores, double Total)>();
            foreach (var path in imagePaths)
            {
                context.Cancellation.ThrowIfCancellationRequested();
                var image = PngReader.Read(path).Image;
                var tensor = new FloatTensor(ImageTensor.FromImages([image], ImageValueRange.ZeroToOne), 1, 3, image.Height, image.Width);
                var scores = loaded.Select(t => t.Reward.Score(tensor, prompt, context.Cancellation)[0]).ToArray();
                var total = loaded.Select((t, k) => t.Weight * (double)scores[k]).Sum();
                rows.Add((path, scores, total));
            }

            if (asJson)
            {
                WriteJson(context.Console.Profile.Out.Writer, prompt, parsed, names, rows);
            }
            else
            {
                WriteTable(context.Console, names, loaded, rows);
            }

            return 0;
        }
        finally
        {
            foreach (var t in loaded)
            {
                t.Reward.Dispose();
            }
        }
    }

    private static void WriteTable(IAnsiConsole console, IReadOnlyList<string> names, IReadOnlyList<WeightedRewardTerm> terms, List<(string Image, float[] Scores, double Total)> rows)
    {
        var table = new Table().AddColumn("image");
        for (var k = 0; k < names.Count; k++)
        {
            var header = terms[k].Weight == 1f ? names[k] : $"{names[k]} ×{terms[k].Weight.ToString(CultureInfo.InvariantCulture)}";
            table.AddColumn(new TableColumn(Markup.Escape(header)).RightAligned());
        }

        table.AddColumn(new TableColumn("total").RightAligned());
        foreach (var (image, scores, total) in rows)
        {
            table.AddRow([Markup.Escape(image), .. scores.Select(s => Number(s)), Number(total)]);
        }

        console.Write(table);
    }

    private static void WriteJson(TextWriter writer, string prompt, List<RewardSpec> specs, IReadOnlyList<string> names, List<(string Image, float[] Scores, double Total)> rows)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteString("prompt", prompt);
            json.WriteStartArray("rewards");
            for (var k = 0; k < names.Count; k++)
            {
                json.WriteStartObject();
                json.WriteString("name", names[k]);
                json.WriteString("folder", Path.GetFullPath(specs[k].Folder));
                json.WriteNumber("weight", specs[k].Weight);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteStartArray("images");
            foreach (var (image, scores, total) in rows)
            {
                json.WriteStartObject();
                json.WriteString("image", image);
                json.WriteStartObject("scores");
                for (var k = 0; k < names.Count; k++)
                {
                    json.WriteNumber(names[k], scores[k]);
                }

                json.WriteEndObject();
                json.WriteNumber("total", total);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        writer.WriteLine(System.Text.Encoding.UTF8.GetString(stream.ToArray()));
        writer.Flush();
    }

    /// <summary>Reward names as table columns and JSON keys: a repeated folder name gets <c>#2</c>, <c>#3</c>, ….</summary>
    private static List<string> UniqueNames(IEnumerable<string> names)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        var result = new List<string>();
        foreach (var name in names)
        {
            var count = seen[name] = seen.GetValueOrDefault(name) + 1;
            result.Add(count == 1 ? name : $"{name}#{count}");
        }

        return result;
    }

    private static string Number(double value) => value.ToString("0.0000", CultureInfo.InvariantCulture);
}
