namespace OrtDiffusion.Pipelines;

/// <summary>
/// A small cache that keeps the most recently used entries and forgets the oldest: the pipelines cache prompt
/// encodings with it, so a long-lived pipeline (a server, an evaluation over thousands of prompts) stays bounded in
/// memory (one T5 encoding is 120 × 4096 floats) while repeated prompts still skip the text encoder.
/// </summary>
internal sealed class RecentCache<TKey, TValue>(int capacity)
    where TKey : notnull
{
    private readonly Dictionary<TKey, LinkedListNode<(TKey Key, TValue Value)>> entries = new();
    private readonly LinkedList<(TKey Key, TValue Value)> order = new();

    /// <summary>The cached value of <paramref name="key"/>, or <paramref name="create"/>'s, which is then kept.</summary>
    public TValue GetOrAdd(TKey key, Func<TKey, TValue> create)
    {
        if (entries.TryGetValue(key, out var node))
        {
            order.Remove(node);
            order.AddFirst(node);
            return node.Value.Value;
        }

        var value = create(key);
        entries[key] = order.AddFirst((key, value));
        if (entries.Count > capacity)
        {
            entries.Remove(order.Last!.Value.Key);
            order.RemoveLast();
        }

        return value;
    }

    /// <summary>How many entries are kept now.</summary>
    public int Count => entries.Count;
}
