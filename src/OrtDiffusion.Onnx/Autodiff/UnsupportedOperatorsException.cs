namespace OrtDiffusion.Onnx.Autodiff;

/// <summary>One node on a differentiated path whose operator has no gradient rule.</summary>
/// <param name="OpType">The operator type (with its domain when not the default one).</param>
/// <param name="NodeName">The node's name (or its first output when unnamed).</param>
/// <param name="Opset">The opset the model imports for the node's domain.</param>
public sealed record UnsupportedNode(string OpType, string NodeName, long Opset);

/// <summary>Thrown when operators on the differentiated path have no gradient rule; lists every such node at once.</summary>
public sealed class UnsupportedOperatorsException : NotSupportedException
{
    /// <summary>Creates the exception for a model and its unsupported nodes.</summary>
    public UnsupportedOperatorsException(string model, IReadOnlyList<UnsupportedNode> nodes)
        : base(Format(model, nodes))
    {
        Nodes = nodes;
    }

    /// <summary>The nodes without a gradient rule.</summary>
    public IReadOnlyList<UnsupportedNode> Nodes { get; }

    private static string Format(string model, IReadOnlyList<UnsupportedNode> nodes)
    {
        var lines = nodes.Take(20).Select(n => $"  {n.OpType} (opset {n.Opset}) at node '{n.NodeName}'");
        var more = nodes.Count > 20 ? $"\n  … and {nodes.Count - 20} more" : string.Empty;
        var types = string.Join(", ", nodes.Select(n => n.OpType).Distinct());
        return $"Model '{model}' cannot be differentiated: {nodes.Count} node(s) on the differentiated path use operators without a gradient rule ({types}):\n"
            + string.Join("\n", lines) + more;
    }
}
