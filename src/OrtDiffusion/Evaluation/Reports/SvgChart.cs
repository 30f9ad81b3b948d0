using System.Globalization;
using System.Security;
using System.Text;

namespace OrtDiffusion.Evaluation;

/// <summary>Small self-contained SVG charts (no scripts, no external fonts): bar charts and line charts with axes, ticks and value labels.</summary>
internal static class SvgChart
{
    private const int Width = 720;
    private const int Height = 400;
    private const int Left = 80;
    private const int Right = 24;
    private const int Top = 48;
    private const int Bottom = 96;

    private static readonly string[] Palette = ["#4c72b0", "#dd8452", "#55a868", "#c44e52", "#8172b3", "#937860", "#da8bc3", "#8c8c8c"];

    /// <summary>One bar per label, from 0 to its value (negative values go down), the value written on each bar.</summary>
    public static string Bars(string title, string axisLabel, IReadOnlyList<string> labels, IReadOnlyList<double> values, string valueFormat)
    {
        var finite = values.Where(double.IsFinite).ToList();
        var (low, high, step) = Ticks(Math.Min(0, finite.DefaultIfEmpty(0).Min()), Math.Max(0, finite.DefaultIfEmpty(1).Max()));
        var svg = Begin(title);
        Axes(svg, axisLabel, low, high, step);
        var plotWidth = Width - Left - Right;
        var slot = plotWidth / (double)Math.Max(1, labels.Count);
        var barWidth = Math.Min(80, slot * 0.6);
        for (var i = 0; i < labels.Count; i++)
        {
            var x = Left + (slot * i) + ((slot - barWidth) / 2);
            var centre = Left + (slot * (i + 0.5));
            if (double.IsFinite(values[i]))
            {
                var y0 = Y(0, low, high);
                var y1 = Y(values[i], low, high);
                svg.Append(Invariant($"<rect x=\"{x:F1}\" y=\"{Math.Min(y0, y1):F1}\" width=\"{barWidth:F1}\" height=\"{Math.Abs(y1 - y0):F1}\" fill=\"{Palette[i % Palette.Length]}\"/>\n"));
                var textY = values[i] >= 0 ? y1 - 6 : y1 + 16;
                svg.Append(Invariant($"<text x=\"{centre:F1}\" y=\"{textY:F1}\" text-anchor=\"middle\" font-size=\"12\">{Escape(values[i].ToString(valueFormat, CultureInfo.InvariantCulture))}</text>\n"));
            }
            else
            {
                svg.Append(Invariant($"<text x=\"{centre:F1}\" y=\"{Y(0, low, high) - 6:F1}\" text-anchor=\"middle\" font-size=\"12\">n/a</text>\n"));
            }

            svg.Append(Invariant($"<text x=\"{centre:F1}\" y=\"{Height - Bottom + 18}\" text-anchor=\"end\" font-size=\"12\" transform=\"rotate(-25 {centre:F1} {Height - Bottom + 18})\">{Escape(labels[i])}</text>\n"));
        }

        return End(svg);
    }

    /// <summary>One line per series over shared x values, with markers and a legend.</summary>
    public static string Lines(string title, string xLabel, string yLabel, IReadOnlyList<(string Name, IReadOnlyList<(double X, double Y)> Points)> series)
    {
        var all = series.SelectMany(s => s.Points).Where(p => double.IsFinite(p.Y)).ToList();
        var (low, high, step) = Ticks(all.DefaultIfEmpty((0, 0)).Min(p => p.Y), all.DefaultIfEmpty((0, 1)).Max(p => p.Y));
        var xMin = all.DefaultIfEmpty((0, 0)).Min(p => p.X);
        var xMax = Math.Max(xMin + 1, all.DefaultIfEmpty((1, 0)).Max(p => p.X));
        var svg = Begin(title);
        Axes(svg, yLabel, low, high, step);
        var inner = Width - Left - Right - 24; // 12 px inside each end, so end markers clear the axis
        double X(double x) => Left + 12 + ((x - xMin) / (xMax - xMin) * inner);
        foreach (var x in all.Select(p => p.X).Distinct().Order())
        {
            svg.Append(Invariant($"<text x=\"{X(x):F1}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\" font-size=\"11\">{x}</text>\n"));
        }

        svg.Append(Invariant($"<text x=\"{Left + ((Width - Left - Right) / 2)}\" y=\"{Height - Bottom + 40}\" text-anchor=\"middle\" font-size=\"13\">{Escape(xLabel)}</text>\n"));
        for (var s = 0; s < series.Count; s++)
        {
            var colour = Palette[s % Palette.Length];
            var points = series[s].Points.Where(p => double.IsFinite(p.Y)).OrderBy(p => p.X).ToList();
            svg.Append(Invariant($"<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\" points=\"{string.Join(' ', points.Select(p => Invariant($"{X(p.X):F1},{Y(p.Y, low, high):F1}")))}\"/>\n"));
            foreach (var p in points)
            {
                svg.Append(Invariant($"<circle cx=\"{X(p.X):F1}\" cy=\"{Y(p.Y, low, high):F1}\" r=\"3.5\" fill=\"{colour}\"><title>{Escape(series[s].Name)}: step {p.X}, {p.Y.ToString("G6", CultureInfo.InvariantCulture)}</title></circle>\n"));
            }

            var legendY = Height - 30 + (s / 3 * 16);
            var legendX = Left + (s % 3 * 210);
            svg.Append(Invariant($"<rect x=\"{legendX}\" y=\"{legendY - 9}\" width=\"12\" height=\"4\" fill=\"{colour}\"/><text x=\"{legendX + 18}\" y=\"{legendY}\" font-size=\"12\">{Escape(series[s].Name)}</text>\n"));
        }

        return End(svg);
    }

    // Rounded axis limits and a tick step of 1, 2 or 5 × 10^k giving about five ticks.
    internal static (double Low, double High, double Step) Ticks(double min, double max)
    {
        if (!(max > min))
        {
            var pad = Math.Abs(min) > 0 ? Math.Abs(min) * 0.1 : 1;
            (min, max) = (min - pad, max + pad);
        }

        var raw = (max - min) / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(f => f * magnitude).First(s => s >= raw);
        return (Math.Floor(min / step) * step, Math.Ceiling(max / step) * step, step);
    }

    private static double Y(double value, double low, double high) => Top + ((high - value) / (high - low) * (Height - Top - Bottom));

    private static StringBuilder Begin(string title)
    {
        var svg = new StringBuilder();
        svg.Append(Invariant($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\">\n"));
        svg.Append(Invariant($"<rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n"));
        svg.Append(Invariant($"<text x=\"{Width / 2}\" y=\"28\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">{Escape(title)}</text>\n"));
        return svg;
    }

    private static void Axes(StringBuilder svg, string axisLabel, double low, double high, double step)
    {
        var bottom = Height - Bottom;
        for (var v = low; v <= high + (step / 2); v += step)
        {
            var y = Y(v, low, high);
            var tick = Math.Abs(v) < step * 1e-9 ? 0 : v;
            svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{y:F1}\" x2=\"{Width - Right}\" y2=\"{y:F1}\" stroke=\"#e0e0e0\"/>\n"));
            svg.Append(Invariant($"<text x=\"{Left - 6}\" y=\"{y + 4:F1}\" text-anchor=\"end\" font-size=\"11\">{tick.ToString("G6", CultureInfo.InvariantCulture)}</text>\n"));
        }

        svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{Top}\" x2=\"{Left}\" y2=\"{bottom}\" stroke=\"black\"/>\n"));
        if (low <= 0 && high >= 0)
        {
            var zero = Y(0, low, high);
            svg.Append(Invariant($"<line x1=\"{Left}\" y1=\"{zero:F1}\" x2=\"{Width - Right}\" y2=\"{zero:F1}\" stroke=\"black\"/>\n"));
        }

        var middle = Top + ((bottom - Top) / 2);
        svg.Append(Invariant($"<text x=\"18\" y=\"{middle}\" text-anchor=\"middle\" font-size=\"13\" transform=\"rotate(-90 18 {middle})\">{Escape(axisLabel)}</text>\n"));
    }

    private static string End(StringBuilder svg) => svg.Append("</svg>\n").ToString();

    private static string Escape(string text) => SecurityElement.Escape(text) ?? string.Empty;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
