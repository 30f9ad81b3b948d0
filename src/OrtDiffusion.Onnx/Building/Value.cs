namespace OrtDiffusion.Onnx.Building;

/// <summary>A named value in a graph under construction (a graph input, an initializer or a node output).</summary>
/// <param name="Name">The value's name in the graph.</param>
public readonly record struct Value(string Name)
{
    /// <summary>The absent optional input (ONNX writes it as an empty name).</summary>
    public static Value None => new(string.Empty);

    /// <summary>Whether this is the absent optional input.</summary>
    public bool IsNone => string.IsNullOrEmpty(Name);

    /// <inheritdoc />
    public override string ToString() => Name;
}
