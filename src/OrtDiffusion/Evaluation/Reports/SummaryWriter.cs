using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using OrtDiffusion.IO;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// Writes a summary as the papers tabulate results — method | time | FID | CLIP | ImageReward | … — in
/// <c>summary.md</c>, <c>summary.csv</c> and <c>summary.json</c>, and plots under <c>plots/</c>: one bar chart per
/// column (<c>time.svg</c>, <c>fid.svg</c>, <c>&lt;metric&gt;.svg</c>) and, when a method traced its reward,
/// <c>reward-per-step.svg</c>.
/// </summary>
public static class SummaryWriter
{
    /// <summary>The Markdown file's name.</summary>
    public const string MarkdownFile = "summary.md";

    /// <summary>The CSV file's name.</summary>
    public const string CsvFile = "summary.csv";

    /// <summary>The JSON file's name.</summary>
    public const string JsonFile = "summary.json";

    /// <summary>The plots' folder.</summary>
    public const string PlotFolder = "plots";

    /// <summary>Writes every summary file into <paramref name="folder"/> (atomically, file by file).</summary>
    public static void Write(string folder, EvaluationSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        AtomicFile.WriteAllText(Path.Combine(folder, MarkdownFile), Markdown(summary));
        AtomicFile.WriteAllText(Path.Combine(folder, CsvFile), Csv(summary));
        AtomicFile.WriteAllText(Path.Combine(folder, JsonFile), Json(summary));
        var plots = Path.Combine(folder, PlotFolder);
        Directory.CreateDirectory(plots);
        foreach (var (file, svg) in Plots(summary))
        {
            AtomicFile.WriteAllText(Path.Combine(plots, file), svg);
        }
    }

    /// <summary>The Markdown table with a line on what it covers.</summary>
    public static string Markdown(EvaluationSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var text = new StringBuilder();
        var header = new List<string> { "method", "n", "time (s)", "time (×)" };
        if (summary.FidCollected)
        {
            header.Add("FID");
        }

        header.AddRange(summary.MetricNames);
        text.Append("| ").AppendJoin(" | ", header).Append(" |\n");
        text.Append("|---|").AppendJoin(string.Empty, header.Skip(1).Select(_ => "---:|")).Append('\n');
        var baseline = summary.Methods.FirstOrDefault()?.Time.Mean;
        foreach (var m in summary.Methods)
        {
            var cells = new List<string> { m.Label, m.Count.ToString(CultureInfo.InvariantCulture), Format(m.Time.Mean, "F3"), Format(m.Time.Mean / baseline ?? double.NaN, "F2") };
            if (summary.FidCollected)
            {
                cells.Add(m.Fid is { } fid ? Format(fid.Distance, "F2") : "–");
            }

            cells.AddRange(m.Metrics.Select(p => Format(p.Value.Mean, "F4")));
            text.Append("| ").AppendJoin(" | ", cells.Select(c => c.Replace("|", "\\|", StringComparison.Ordinal))).Append(" |\n");
        }

        text.Append('\n').Append(Invariant($"{summary.Scope}: {summary.Items} of {summary.ExpectedItems} items. "));
        text.Append("time: seconds per image of sampling and decoding; (×) relative to the first method. ");
        if (summary.FidCollected)
        {
            text.Append(summary.Methods.Any(m => m.Fid is not null)
                ? Invariant($"FID against {(summary.FidReferenceImages is long n ? $"{n} reference images" : "the reference statistics")}. ")
                : "FID: statistics written; give a reference (--fid-reference) to compute it. ");
        }

        text.Append("Metrics: means over images.\n");
        return text.ToString();
    }

    /// <summary>The CSV table (full precision, invariant culture).</summary>
    public static string Csv(EvaluationSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var text = new StringBuilder();
        var header = new List<string> { "method", "spec", "n", "time_s", "time_s_std" };
        if (summary.FidCollected)
        {
            header.Add("fid");
        }

        foreach (var name in summary.MetricNames)
        {
            header.Add(name);
            header.Add(name + "_std");
        }

        text.AppendJoin(',', header.Select(CsvField)).Append('\n');
        foreach (var m in summary.Methods)
        {
            var cells = new List<string> { m.Label, m.Spec, m.Count.ToString(CultureInfo.InvariantCulture), Number(m.Time.Mean), Number(m.Time.Std) };
            if (summary.FidCollected)
            {
                cells.Add(m.Fid is { } fid ? Number(fid.Distance) : string.Empty);
            }

            foreach (var (_, stat) in m.Metrics)
            {
                cells.Add(Number(stat.Mean));
                cells.Add(Number(stat.Std));
            }

            text.AppendJoin(',', cells.Select(CsvField)).Append('\n');
        }

        return text.ToString();
    }

    /// <summary>The JSON document: every row with means, standard deviations, FID parts and the reward per step.</summary>
    public static string Json(EvaluationSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("scope", summary.Scope);
            w.WriteNumber("items", summary.Items);
            w.WriteNumber("expected_items", summary.ExpectedItems);
            w.WriteBoolean("complete", summary.Items == summary.ExpectedItems);
            w.WriteBoolean("fid_collected", summary.FidCollected);
            if (summary.FidReferenceImages is long refs)
            {
                w.WriteNumber("fid_reference_images", refs);
            }

            w.WriteStartArray("metrics");
            foreach (var name in summary.MetricNames)
            {
                w.WriteStringValue(name);
            }

            w.WriteEndArray();
            w.WriteStartArray("methods");
            foreach (var m in summary.Methods)
            {
                w.WriteStartObject();
                w.WriteString("method", m.Label);
                w.WriteString("spec", m.Spec);
                w.WriteNumber("n", m.Count);
                WriteStat(w, "time_s", m.Time);
                if (m.Fid is { } fid)
                {
                    w.WriteStartObject("fid");
                    w.WriteNumber("value", fid.Distance);
                    w.WriteNumber("mean_term", fid.MeanTerm);
                    w.WriteNumber("trace_sqrt_product", fid.TraceSqrtProduct);
                    w.WriteNumber("offset", fid.Offset);
                    w.WriteNumber("images", m.FidImages);
                    w.WriteEndObject();
                }
                else
                {
                    w.WriteNull("fid");
                }

                w.WriteStartObject("metrics");
                foreach (var (name, stat) in m.Metrics)
                {
                    WriteStat(w, name, stat);
                }

                w.WriteEndObject();
                if (m.RewardPerStep is { } steps)
                {
                    w.WriteStartObject("reward_per_step");
                    w.WriteString("reward", m.TraceReward);
                    w.WriteStartArray("steps");
                    foreach (var (step, _) in steps)
                    {
                        w.WriteNumberValue(step);
                    }

                    w.WriteEndArray();
                    w.WriteStartArray("mean");
                    foreach (var (_, stat) in steps)
                    {
                        w.WriteNumberValue(stat.Mean);
                    }

                    w.WriteEndArray();
                    w.WriteEndObject();
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }

    /// <summary>The plots as (file name, SVG text).</summary>
    public static IEnumerable<(string File, string Svg)> Plots(EvaluationSummary summary)
    {
        ArgumentNullException.ThrowIfNull(summary);
        var labels = summary.Methods.Select(m => m.Label).ToList();
        yield return ("time.svg", SvgChart.Bars("Time per image", "seconds", labels, [.. summary.Methods.Select(m => m.Time.Mean)], "F3"));
        if (summary.FidCollected)
        {
            yield return ("fid.svg", SvgChart.Bars("FID (lower is better)", "FID", labels, [.. summary.Methods.Select(m => m.Fid?.Distance ?? double.NaN)], "F2"));
        }

        foreach (var name in summary.MetricNames)
        {
            yield return (FileName(name) + ".svg", SvgChart.Bars(name, "mean " + name, labels, [.. summary.Methods.Select(m => m.Metrics.First(p => p.Key == name).Value.Mean)], "F4"));
        }

        var traced = summary.Methods.Where(m => m.RewardPerStep is not null).ToList();
        if (traced.Count > 0)
        {
            var rewards = traced.Select(m => m.TraceReward).Distinct().ToList();
            yield return ("reward-per-step.svg", SvgChart.Lines(
                "Reward of x̄₀ per step (before each update)",
                "sampling step",
                rewards.Count == 1 ? "mean " + rewards[0] : "mean reward",
                [.. traced.Select(m => (m.Label, (IReadOnlyList<(double, double)>)[.. m.RewardPerStep!.Select(p => ((double)p.Step, p.Reward.Mean))]))]));
        }
    }

    /// <summary>A metric name as a file name (<c>CLIP#2</c> → <c>CLIP_2</c>).</summary>
    public static string FileName(string name) => new([.. (name ?? string.Empty).Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_')]);

    private static void WriteStat(Utf8JsonWriter w, string name, MeanStd stat)
    {
        w.WriteStartObject(name);
        if (stat.Count > 0)
        {
            w.WriteNumber("mean", stat.Mean);
            w.WriteNumber("std", stat.Std);
        }

        w.WriteNumber("n", stat.Count);
        w.WriteEndObject();
    }

    private static string Format(double value, string format) => double.IsFinite(value) ? value.ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string Number(double value) => double.IsFinite(value) ? value.ToString("R", CultureInfo.InvariantCulture) : string.Empty;

    private static string CsvField(string text) =>
        text.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + text.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : text;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
