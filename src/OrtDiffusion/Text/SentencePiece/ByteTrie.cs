namespace OrtDiffusion.Text;

/// <summary>
/// A trie over UTF-8 bytes mapping piece strings to ids; walking it from a start position yields
/// every piece that is a prefix of the remaining input (SentencePiece's Darts trie does the same job).
/// </summary>
internal sealed class ByteTrie
{
    readonly Dictionary<long, int> _children = new();
    readonly List<int> _values = [-1];

    /// <summary>Adds <paramref name="key"/> with <paramref name="value"/> (the first insertion of a key wins).</summary>
    public void Add(ReadOnlySpan<byte> key, int value)
    {
        int node = 0;
        foreach (byte b in key)
        {
            long edge = ((long)node << 8) | b;
            if (!_children.TryGetValue(edge, out int child))
            {
                child = _values.Count;
                _values.Add(-1);
                _children.Add(edge, child);
            }
            node = child;
        }
        if (_values[node] < 0) _values[node] = value;
    }

    /// <summary>The child of <paramref name="node"/> along <paramref name="b"/>, or -1. The root is node 0.</summary>
    public int Step(int node, byte b) => _children.TryGetValue(((long)node << 8) | b, out int child) ? child : -1;

    /// <summary>The value stored at <paramref name="node"/>, or -1 when no key ends there.</summary>
    public int ValueAt(int node) => _values[node];

    /// <summary>Length of the longest key that is a prefix of <paramref name="input"/> (0 when none).</summary>
    public int LongestPrefix(ReadOnlySpan<byte> input)
    {
        int node = 0, best = 0;
        for (int i = 0; i < input.Length; i++)
        {
            node = Step(node, input[i]);
            if (node < 0) break;
            if (_values[node] >= 0) best = i + 1;
        }
        return best;
    }
}
