using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Onnx.Shapes;

/// <summary>Typed reads of a node's attributes.</summary>
public static class NodeAttributes
{
    /// <summary>The attribute called <paramref name="name"/>, or null.</summary>
    public static AttributeProto? Find(NodeProto node, string name)
    {
        foreach (var a in node.Attribute)
        {
            if (a.Name == name)
            {
                return a;
            }
        }

        return null;
    }

    /// <summary>An integer attribute, or <paramref name="fallback"/>.</summary>
    public static long Int(NodeProto node, string name, long fallback) => Find(node, name) is { } a ? a.I : fallback;

    /// <summary>A float attribute, or <paramref name="fallback"/>.</summary>
    public static float Float(NodeProto node, string name, float fallback) => Find(node, name) is { } a ? a.F : fallback;

    /// <summary>A string attribute, or <paramref name="fallback"/>.</summary>
    public static string String(NodeProto node, string name, string fallback) => Find(node, name) is { } a ? a.S.ToStringUtf8() : fallback;

    /// <summary>An integer-list attribute, or null.</summary>
    public static long[]? Ints(NodeProto node, string name) => Find(node, name) is { } a ? [.. a.Ints] : null;

    /// <summary>A float-list attribute, or null.</summary>
    public static float[]? Floats(NodeProto node, string name) => Find(node, name) is { } a ? [.. a.Floats] : null;

    /// <summary>A tensor attribute, or null.</summary>
    public static TensorProto? Tensor(NodeProto node, string name) => Find(node, name)?.T;

    /// <summary>A readable identification of a node for error messages.</summary>
    public static string Describe(NodeProto node) =>
        string.IsNullOrEmpty(node.Name) ? $"{node.OpType} (output '{node.Output.FirstOrDefault()}')" : $"{node.OpType} '{node.Name}'";
}
