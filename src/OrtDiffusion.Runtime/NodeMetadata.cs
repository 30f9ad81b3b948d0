using OrtDiffusion.Runtime.Native;

namespace OrtDiffusion.Runtime;

/// <summary>A model input or output as the loaded session describes it.</summary>
public sealed class NodeMetadata
{
    internal NodeMetadata(string name, bool isTensor, TensorElementType elementType, long[] shape, string?[] symbolicDims)
    {
        Name = name;
        IsTensor = isTensor;
        ElementType = elementType;
        ShapeArray = shape;
        SymbolicArray = symbolicDims;
        Shape = Array.AsReadOnly(shape);
        SymbolicDims = Array.AsReadOnly(symbolicDims);
    }

    /// <summary>The input or output name.</summary>
    public string Name { get; }

    /// <summary>Whether it is a tensor (sequences, maps and optionals are not).</summary>
    public bool IsTensor { get; }

    /// <summary>The element type (ONNX numbering); <see cref="TensorElementType.Undefined"/> for non-tensors.</summary>
    public TensorElementType ElementType { get; }

    /// <summary>The dimensions: a fixed size, or −1 where the size is symbolic or unknown.</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>Per dimension, its symbolic name (e.g. "batch") or null when it has none.</summary>
    public IReadOnlyList<string?> SymbolicDims { get; }

    /// <summary>Number of dimensions.</summary>
    public int Rank => Shape.Count;

    /// <summary>The shape with symbolic names, e.g. "[batch, 4]".</summary>
    public string ShapeText => Native.ShapeText.Of(ShapeArray, SymbolicArray);

    /// <summary>The dimensions, for validation without allocation (never handed out).</summary>
    internal long[] ShapeArray { get; }

    /// <summary>The symbolic names, for messages.</summary>
    internal string?[] SymbolicArray { get; }

    /// <inheritdoc />
    public override string ToString() => IsTensor ? $"{Name}: {ElementType}{ShapeText}" : $"{Name}: (non-tensor)";
}
