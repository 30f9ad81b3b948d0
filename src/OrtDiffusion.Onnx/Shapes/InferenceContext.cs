using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Onnx.Shapes;

/// <summary>What an inference rule sees of one node: its inputs' facts, attributes and the dim table.</summary>
internal sealed class InferenceContext(NodeProto node, long opset, DimTable dims, Func<string, ValueFacts> facts)
{
    public NodeProto Node { get; } = node;

    public long Opset { get; } = opset;

    public DimTable Dims { get; } = dims;

    public int InputCount => Node.Input.Count;

    public ValueFacts Input(int i) =>
        i < Node.Input.Count && !string.IsNullOrEmpty(Node.Input[i]) ? facts(Node.Input[i]) : ValueFacts.Unknown;

    public bool HasInput(int i) => i < Node.Input.Count && !string.IsNullOrEmpty(Node.Input[i]);

    public long Int(string name, long fallback) => NodeAttributes.Int(Node, name, fallback);

    public long[]? Ints(string name) => NodeAttributes.Ints(Node, name);

    public string String(string name, string fallback) => NodeAttributes.String(Node, name, fallback);

    /// <summary>Constant integers from input <paramref name="i"/> (axes, pads, starts…), or null.</summary>
    public long[]? ConstInts(int i) => Input(i).ConstantInts;

    /// <summary>Axes given as an attribute (older opsets) or as input <paramref name="inputIndex"/> (newer).</summary>
    public long[]? Axes(int inputIndex) => Ints("axes") ?? (HasInput(inputIndex) ? ConstInts(inputIndex) : null);

    /// <summary>The elements of a size-holding integer input as dims, when known.</summary>
    public SymDim[]? DimValues(int i)
    {
        var f = Input(i);
        if (f.DimValues is not null)
        {
            return f.DimValues;
        }

        return f.ConstantInts?.Select(v => v >= 0 ? SymDim.Of(v) : Fresh()).ToArray();
    }

    public SymDim Fresh() => Dims.NewSymbol();

    public SymDim[] FreshShape(int rank) => [.. Enumerable.Range(0, rank).Select(_ => Fresh())];

    /// <summary>Numpy broadcasting of several shapes; null when any rank is unknown.</summary>
    public SymDim[]? Broadcast(params SymDim[]?[] shapes)
    {
        if (shapes.Any(s => s is null))
        {
            return null;
        }

        var rank = shapes.Max(s => s!.Length);
        var result = new SymDim[rank];
        for (var k = 0; k < rank; k++)
        {
            SymDim? merged = null;
            var sawOne = false;
            foreach (var shape in shapes)
            {
                var j = k - (rank - shape!.Length);
                if (j < 0)
                {
                    continue;
                }

                var d = Dims.Resolve(shape[j]);
                if (d.IsOne)
                {
                    sawOne = true;
                    continue;
                }

                if (merged is null)
                {
                    merged = d;
                }
                else if (!merged.Value.IsFixed && !d.IsFixed)
                {
                    // Exported symbolic sizes are never broadcast ones: two symbols meeting here are equal.
                    merged = Dims.Unify(merged.Value, d);
                }
                else if (!merged.Value.IsFixed && d.IsFixed)
                {
                    merged = d;
                }
            }

            result[k] = merged ?? (sawOne ? SymDim.Of(1) : Fresh());
        }

        return result;
    }

    /// <summary>A value with the same facts as input <paramref name="i"/> but possibly another type.</summary>
    public ValueFacts SameShape(int i, ElementType? type = null) =>
        new() { Type = type ?? Input(i).Type, Shape = Input(i).Shape };

    /// <summary>Normalises a possibly negative axis for a rank.</summary>
    public static int Axis(long axis, int rank) => (int)(axis < 0 ? axis + rank : axis);
}
