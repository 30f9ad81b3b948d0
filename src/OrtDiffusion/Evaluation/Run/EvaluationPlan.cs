using System.Globalization;

namespace OrtDiffusion.Evaluation;

/// <summary>One unit of work: one image of one prompt, seed and method.</summary>
/// <param name="Index">Position in the run's stable order (prompt, then seed, then method).</param>
/// <param name="PromptIndex">The prompt's number.</param>
/// <param name="Seed">The seed.</param>
/// <param name="MethodIndex">The method's position in the run's method list.</param>
public readonly record struct WorkItem(long Index, int PromptIndex, ulong Seed, int MethodIndex);

/// <summary>
/// The work of a run in its stable order — prompt-major, then seed, then method — with the names its files get:
/// <c>images/&lt;method&gt;/&lt;prompt#&gt;-&lt;seed&gt;.png</c> (prompt numbers zero-padded to the width of the largest).
/// </summary>
internal sealed class EvaluationPlan
{
    private readonly IReadOnlyList<ulong> seeds;
    private readonly string promptFormat;

    public EvaluationPlan(int promptCount, IReadOnlyList<ulong> seeds, IReadOnlyList<string> methodLabels)
    {
        PromptCount = promptCount;
        this.seeds = seeds;
        MethodLabels = methodLabels;
        Count = (long)promptCount * seeds.Count * methodLabels.Count;
        promptFormat = "D" + Math.Max(1, (promptCount - 1).ToString(CultureInfo.InvariantCulture).Length).ToString(CultureInfo.InvariantCulture);
    }

    public int PromptCount { get; }

    public IReadOnlyList<string> MethodLabels { get; }

    /// <summary>N, the number of items.</summary>
    public long Count { get; }

    public WorkItem this[long index]
    {
        get
        {
            var methods = MethodLabels.Count;
            var perPrompt = (long)seeds.Count * methods;
            return new WorkItem(index, (int)(index / perPrompt), seeds[(int)(index / methods % seeds.Count)], (int)(index % methods));
        }
    }

    /// <summary>The items shard <paramref name="shard"/> takes, in order.</summary>
    public IEnumerable<WorkItem> Slice(ShardSpec shard)
    {
        var (start, count) = shard.Slice(Count);
        for (var i = start; i < start + count; i++)
        {
            yield return this[i];
        }
    }

    /// <summary>The item's file stem: <c>&lt;prompt#&gt;-&lt;seed&gt;</c>.</summary>
    public string Stem(WorkItem item) => item.PromptIndex.ToString(promptFormat, CultureInfo.InvariantCulture) + "-" + item.Seed.ToString(CultureInfo.InvariantCulture);

    /// <summary>The key in <c>results.jsonl</c>: <c>&lt;method&gt;/&lt;stem&gt;</c>.</summary>
    public string Key(WorkItem item) => MethodLabels[item.MethodIndex] + "/" + Stem(item);

    /// <summary>The image's path relative to the run folder.</summary>
    public string ImagePath(WorkItem item) => $"images/{MethodLabels[item.MethodIndex]}/{Stem(item)}.png";

    /// <summary>The FID features' path relative to the run folder.</summary>
    public string FeaturesPath(WorkItem item) => $"features/{MethodLabels[item.MethodIndex]}/{Stem(item)}.npy";
}
