using System.Globalization;
using System.Security;
using System.Text;
using OrtDiffusion.IO;

namespace OrtDiffusion.Ipgo;

/// <summary>
/// The IPGO reward curve as a self-contained SVG: the reward of every epoch (a line with markers), the best reward so
/// far (dashed) and the first epoch's reward (dotted), with labelled axes and "nice" ticks.
/// </summary>
public static class RewardCurvePlot
{
    private const double Width = 640, Height = 360, Left = 72, Right = 24, Top = 44, Bottom = 52;
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>The SVG document for <paramref name="rewards"/> (one value per epoch, in order).</summary>
    /// <exception cref="ArgumentException">No rewards, or a non-finite one.</exception>
    public static string ToSvg(IReadOnlyList<double> rewards, string title)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(title);
        if (rewards.Count == 0 || rewards.Any(r => !double.IsFinite(r)))
        {
            throw new ArgumentException("The reward curve needs at least one epoch and finite rewards.", nameof(rewards));
        }

        var best = new double[rewards.Count];
        for (var i = 0; i < rewards.Count; i++)
        {
            best[i] = i == 0 ? rewards[0] : Math.Max(best[i - 1], rewards[i]);
        }

        var (low, high, step) = Ticks(rewards.Min(), rewards.Max());
        double X(int epoch) => rewards.Count == 1 ? Left + ((Width - Left - Right) / 2) : Left + ((Width - Left - Right) * (epoch - 1) / (rewards.Count - 1));
        double Y(double value) => Top + ((Height - Top - Bottom) * (high - value) / (high - low));

        var svg = new StringBuilder();
        svg.Append(Invariant, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"12\">\n");
        svg.Append(Invariant, $"  <title>{SecurityElement.Escape(title)}</title>\n");
        svg.Append(Invariant, $"  <rect width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        svg.Append(Invariant, $"  <text x=\"{Width / 2}\" y=\"24\" text-anchor=\"middle\" font-size=\"14\">{SecurityElement.Escape(title)}</text>\n");

        // Grid and y ticks.
        svg.Append("  <g id=\"y-axis\" stroke=\"#dddddd\">\n");
        var tickCount = (int)Math.Round((high - low) / step);
        for (var t = 0; t <= tickCount; t++)
        {
            var v = low + (t * step);
            svg.Append(Invariant, $"    <line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(Y(v))}\" y2=\"{F(Y(v))}\"/>\n");
            svg.Append(Invariant, $"    <text x=\"{Left - 6}\" y=\"{F(Y(v) + 4)}\" text-anchor=\"end\" stroke=\"none\" fill=\"#333333\">{Label(v, step)}</text>\n");
        }

        svg.Append("  </g>\n");

        // x ticks at whole epochs, about eight of them.
        var every = Math.Max(1, (int)Math.Ceiling(rewards.Count / 8.0));
        svg.Append("  <g id=\"x-axis\" fill=\"#333333\">\n");
        for (var epoch = 1; epoch <= rewards.Count; epoch += every)
        {
            svg.Append(Invariant, $"    <text x=\"{F(X(epoch))}\" y=\"{Height - Bottom + 18}\" text-anchor=\"middle\">{epoch}</text>\n");
        }

        svg.Append("  </g>\n");
        svg.Append(Invariant, $"  <line x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{Height - Bottom}\" y2=\"{Height - Bottom}\" stroke=\"#333333\"/>\n");
        svg.Append(Invariant, $"  <line x1=\"{Left}\" x2=\"{Left}\" y1=\"{Top}\" y2=\"{Height - Bottom}\" stroke=\"#333333\"/>\n");
        svg.Append(Invariant, $"  <text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 12}\" text-anchor=\"middle\">epoch</text>\n");
        svg.Append(Invariant, $"  <text x=\"16\" y=\"{(Top + Height - Bottom) / 2}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {(Top + Height - Bottom) / 2})\">reward</text>\n");

        // Initial reward, best so far, and the curve.
        svg.Append(Invariant, $"  <line id=\"initial\" x1=\"{Left}\" x2=\"{Width - Right}\" y1=\"{F(Y(rewards[0]))}\" y2=\"{F(Y(rewards[0]))}\" stroke=\"#888888\" stroke-dasharray=\"2 3\"/>\n");
        svg.Append(Invariant, $"  <polyline id=\"best\" fill=\"none\" stroke=\"#d62728\" stroke-dasharray=\"6 4\" points=\"{Points(best, X, Y)}\"/>\n");
        svg.Append(Invariant, $"  <polyline id=\"reward\" fill=\"none\" stroke=\"#1f77b4\" stroke-width=\"2\" points=\"{Points(rewards, X, Y)}\"/>\n");
        if (rewards.Count <= 100)
        {
            svg.Append("  <g id=\"markers\" fill=\"#1f77b4\">\n");
            for (var i = 0; i < rewards.Count; i++)
            {
                svg.Append(Invariant, $"    <circle cx=\"{F(X(i + 1))}\" cy=\"{F(Y(rewards[i]))}\" r=\"2.5\"><title>epoch {i + 1}: {rewards[i].ToString("G6", Invariant)}</title></circle>\n");
            }

            svg.Append("  </g>\n");
        }

        // Legend.
        var lx = Left + 12; // top left: reward curves mostly rise to the right
        svg.Append(Invariant, $"  <g id=\"legend\" font-size=\"11\">\n");
        svg.Append(Invariant, $"    <line x1=\"{lx}\" x2=\"{lx + 20}\" y1=\"{Top + 8}\" y2=\"{Top + 8}\" stroke=\"#1f77b4\" stroke-width=\"2\"/><text x=\"{lx + 26}\" y=\"{Top + 12}\">reward</text>\n");
        svg.Append(Invariant, $"    <line x1=\"{lx}\" x2=\"{lx + 20}\" y1=\"{Top + 24}\" y2=\"{Top + 24}\" stroke=\"#d62728\" stroke-dasharray=\"6 4\"/><text x=\"{lx + 26}\" y=\"{Top + 28}\">best so far</text>\n");
        svg.Append(Invariant, $"    <line x1=\"{lx}\" x2=\"{lx + 20}\" y1=\"{Top + 40}\" y2=\"{Top + 40}\" stroke=\"#888888\" stroke-dasharray=\"2 3\"/><text x=\"{lx + 26}\" y=\"{Top + 44}\">first epoch</text>\n");
        svg.Append("  </g>\n");
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Writes <see cref="ToSvg"/> to <paramref name="path"/> atomically.</summary>
    public static void Write(string path, IReadOnlyList<double> rewards, string title) =>
        AtomicFile.WriteAllText(path, ToSvg(rewards, title));

    // A range covering [min, max] with 3–8 ticks at 1, 2 or 5 × 10^k.
    internal static (double Low, double High, double Step) Ticks(double min, double max)
    {
        if (max - min < Math.Max(1e-9, Math.Abs(max) * 1e-9))
        {
            var pad = Math.Max(1e-6, Math.Abs(max) * 1e-3);
            min -= pad;
            max += pad;
        }

        var raw = (max - min) / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2.0, 5.0, 10.0 }.Select(f => f * magnitude).First(s => s >= raw);
        var low = Math.Floor(min / step) * step;
        var high = Math.Ceiling(max / step) * step;
        return (low, high, step);
    }

    private static string Points(IReadOnlyList<double> values, Func<int, double> x, Func<double, double> y) =>
        string.Join(' ', values.Select((v, i) => $"{F(x(i + 1))},{F(y(v))}"));

    private static string Label(double value, double step)
    {
        var decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step)));
        return value.ToString("F" + decimals, Invariant);
    }

    private static string F(double v) => v.ToString("0.##", Invariant);
}
