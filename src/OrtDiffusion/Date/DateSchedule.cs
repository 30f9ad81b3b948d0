using System.Globalization;

namespace OrtDiffusion.Date;

/// <summary>
/// Which sampling steps update the embedding. Step index i counts from 0 at the noisiest step:
/// <see cref="Every"/>(k) updates when i mod k = 0 ("10% updates" of 50 steps is k = 10, "all updates" k = 1);
/// <see cref="AtSteps"/> lists indices; <see cref="Fraction"/>(f) spreads ⌈f·steps⌉ updates evenly from step 0.
/// </summary>
public sealed class DateSchedule
{
    private readonly Func<int, int, bool> updates;

    private DateSchedule(string description, Func<int, int, bool> updates)
    {
        Description = description;
        this.updates = updates;
    }

    /// <summary>How the schedule was given, e.g. <c>every 10</c>.</summary>
    public string Description { get; }

    /// <summary>Every <paramref name="k"/>-th step from step 0.</summary>
    public static DateSchedule Every(int k) =>
        k >= 1 ? new($"every {k}", (i, _) => i % k == 0) : throw new ArgumentOutOfRangeException(nameof(k), k, "The update interval must be at least 1.");

    /// <summary>Exactly these step indices.</summary>
    public static DateSchedule AtSteps(IEnumerable<int> indices)
    {
        ArgumentNullException.ThrowIfNull(indices);
        var set = indices.ToHashSet();
        if (set.Count == 0 || set.Any(i => i < 0))
        {
            throw new ArgumentException("Give one or more non-negative step indices.", nameof(indices));
        }

        return new($"steps {string.Join(",", set.Order())}", (i, _) => set.Contains(i));
    }

    /// <summary>A share of the steps, spread evenly: f = 0.1 of 50 steps updates 5 steps (0, 10, 20, 30, 40).</summary>
    public static DateSchedule Fraction(double fraction)
    {
        if (!(fraction > 0 && fraction <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "The fraction of updated steps must be in (0, 1].");
        }

        return new($"fraction {fraction.ToString(CultureInfo.InvariantCulture)}", (i, steps) =>
        {
            var count = (int)Math.Ceiling(fraction * steps);
            var interval = Math.Max(1, steps / count);
            return i % interval == 0 && i / interval < count;
        });
    }

    /// <summary>Whether step <paramref name="index"/> of a <paramref name="steps"/>-step run updates.</summary>
    public bool Updates(int index, int steps) => updates(index, steps);

    /// <summary>Parses the CLI's forms: <c>10</c> (every k), <c>0,10,20</c> (indices) or <c>0.1</c> / <c>10%</c> (fraction).</summary>
    public static DateSchedule Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        text = text.Trim();
        if (text.EndsWith('%') && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var percent))
        {
            return Fraction(percent / 100);
        }

        if (text.Contains(',', StringComparison.Ordinal))
        {
            return AtSteps(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(s =>
                int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var i) ? i : throw new FormatException($"'{s}' is not a step index.")));
        }

        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var k))
        {
            return Every(k);
        }

        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f))
        {
            return Fraction(f);
        }

        throw new FormatException($"'{text}' is not a DATE schedule: use k (every k-th step), i,j,… (step indices) or a fraction like 0.1 or 10%.");
    }
}
