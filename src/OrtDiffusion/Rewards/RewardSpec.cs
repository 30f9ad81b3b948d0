using System.Globalization;
using OrtDiffusion.Models;

namespace OrtDiffusion.Rewards;

/// <summary>
/// A reward as the command line and DATE name it: <c>DIR[=weight]</c>, e.g. <c>rewards/clip</c> or
/// <c>rewards/aesthetic=0.05</c>. The text after the last <c>=</c> is the weight when it is a number; otherwise
/// the whole text is the folder (folders may contain <c>=</c>).
/// </summary>
/// <param name="Folder">The reward folder.</param>
/// <param name="Weight">Its weight (1 when not given).</param>
public readonly record struct RewardSpec(string Folder, float Weight)
{
    /// <summary>Parses <c>DIR[=weight]</c>.</summary>
    /// <exception cref="FormatException">The text is empty, or ends in <c>=</c> something that is neither a number nor part of an existing folder's name.</exception>
    public static RewardSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new FormatException("A reward must be given as DIR[=weight]; got an empty value.");
        }

        var equals = text.LastIndexOf('=');
        if (equals < 0 || Directory.Exists(text))
        {
            return new RewardSpec(text, 1f);
        }

        var folder = text[..equals];
        var weightText = text[(equals + 1)..];
        if (folder.Length == 0)
        {
            throw new FormatException($"Reward '{text}' has a weight but no folder; use DIR[=weight].");
        }

        if (!float.TryParse(weightText, NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
        {
            throw new FormatException($"Reward '{text}': the weight '{weightText}' is not a number; use DIR[=weight], e.g. rewards/aesthetic=0.05.");
        }

        if (!float.IsFinite(weight))
        {
            throw new FormatException($"Reward '{text}': the weight must be finite.");
        }

        return new RewardSpec(folder, weight);
    }

    /// <summary>
    /// Opens the rewards <paramref name="specs"/> name: one spec of weight 1 gives that reward itself, anything else a
    /// <see cref="WeightedReward"/> owning them.
    /// </summary>
    /// <exception cref="ArgumentException">No specs.</exception>
    /// <exception cref="FormatException">A spec is malformed.</exception>
    public static IReward Load(IReadOnlyList<string> specs, ExecutionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(specs);
        if (specs.Count == 0)
        {
            throw new ArgumentException("Name at least one reward as DIR[=weight].", nameof(specs));
        }

        var parsed = specs.Select(Parse).ToList();
        var loaded = new List<WeightedRewardTerm>();
        try
        {
            foreach (var spec in parsed)
            {
                loaded.Add(new WeightedRewardTerm(RewardModel.Load(spec.Folder, options), spec.Weight));
            }
        }
        catch
        {
            foreach (var t in loaded)
            {
                t.Reward.Dispose();
            }

            throw;
        }

        return loaded is [{ Weight: 1f } single] ? single.Reward : new WeightedReward(loaded);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Folder}={Weight.ToString(CultureInfo.InvariantCulture)}";
}
