using System.Globalization;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// One of <see cref="Count"/> equal shares of an evaluation's work items: shard i of n takes the contiguous block
/// <c>[⌊i·N/n⌋, ⌊(i+1)·N/n⌋)</c> of the N items in their stable order (prompt, then seed, then method), so every
/// shard gets the same mix of methods and the shards together cover every item exactly once.
/// </summary>
/// <param name="Index">0-based shard index.</param>
/// <param name="Count">Number of shards (≥ 1).</param>
public readonly record struct ShardSpec(int Index, int Count)
{
    /// <summary>The whole run as one shard.</summary>
    public static ShardSpec Whole { get; } = new(0, 1);

    /// <summary>Parses <c>i/n</c> (0 ≤ i &lt; n).</summary>
    /// <exception cref="FormatException">Not of the form i/n with integers, or i outside [0, n).</exception>
    public static ShardSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split('/');
        if (parts.Length != 2
            || !int.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var index)
            || !int.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var count))
        {
            throw new FormatException($"Shard '{text}' must be i/n with whole numbers, e.g. 0/4 for the first of four shards.");
        }

        if (count < 1 || index >= count)
        {
            throw new FormatException($"Shard '{text}': the index must be in 0…n−1 and n at least 1 (shards are numbered from 0, as JOB_COMPLETION_INDEX and SLURM_ARRAY_TASK_ID are).");
        }

        return new ShardSpec(index, count);
    }

    /// <summary>The first item index and the count of items this shard takes out of <paramref name="total"/>.</summary>
    public (long Start, long Count) Slice(long total)
    {
        if (Count < 1 || Index < 0 || Index >= Count)
        {
            throw new InvalidOperationException($"Shard {this} is not valid.");
        }

        var start = total * Index / Count;
        var end = total * (Index + 1) / Count;
        return (start, end - start);
    }

    /// <inheritdoc />
    public override string ToString() => $"{Index}/{Count}";
}
