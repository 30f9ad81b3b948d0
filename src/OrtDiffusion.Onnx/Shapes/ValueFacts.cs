namespace OrtDiffusion.Onnx.Shapes;

/// <summary>What shape inference knows about one value of a graph.</summary>
public sealed class ValueFacts
{
    /// <summary>The element type, or <see cref="ElementType.Undefined"/> when unknown.</summary>
    public ElementType Type { get; init; }

    /// <summary>The dims, or null when even the rank is unknown.</summary>
    public SymDim[]? Shape { get; init; }

    /// <summary>
    /// For 0-d/1-d integer tensors that hold sizes (the results of <c>Shape</c>, <c>Gather</c>, <c>Concat</c>…):
    /// the elements as dims. Lets <c>Reshape</c> targets computed in-graph keep symbolic sizes.
    /// </summary>
    public SymDim[]? DimValues { get; init; }

    /// <summary>For small constant integer tensors: the values (flattened).</summary>
    public long[]? ConstantInts { get; init; }

    /// <summary>For small constant floating-point tensors: the values (flattened).</summary>
    public float[]? ConstantFloats { get; init; }

    /// <summary>The rank, or null when unknown.</summary>
    public int? Rank => Shape?.Length;

    /// <summary>Whether the type can carry gradients.</summary>
    public bool IsFloat => ElementTypes.IsFloatingPoint(Type);

    /// <summary>Nothing known.</summary>
    public static ValueFacts Unknown { get; } = new() { Type = ElementType.Undefined };
}
