using OrtDiffusion.Onnx.IO;
using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Onnx.Shapes;

/// <summary>
/// Symbolic type and shape inference over a graph, for the operators the differentiator and the model
/// summaries need. Sizes are fixed numbers or symbols; symbols of graph inputs are shared by name, and
/// operators that require equal sizes unify their symbols. Small integer constants and the sizes held by
/// shape tensors (<c>Shape → Gather → Concat → Reshape</c>) are tracked, so in-graph reshapes keep symbols.
/// Unknown operators yield unknown facts (refined by the graph's own value_info where it has any).
/// </summary>
public sealed class ShapeInference
{
    private const int MaxTrackedConstant = 64;
    private readonly Dictionary<string, ValueFacts> facts = new(StringComparer.Ordinal);

    private ShapeInference()
    {
    }

    /// <summary>The symbols of this run.</summary>
    public DimTable Dims { get; } = new();

    /// <summary>Facts about a value (unknown when it was never seen).</summary>
    public ValueFacts this[string name] => facts.TryGetValue(name, out var f) ? f : ValueFacts.Unknown;

    /// <summary>Runs inference over a model's main graph.</summary>
    public static ShapeInference Run(OnnxModel model) =>
        Run(model.Graph, model.OpsetVersion() ?? throw new InvalidDataException($"Model '{model.FilePath ?? model.Graph.Name}' imports no default-domain opset."));

    /// <summary>Runs inference over a graph at the given default-domain opset.</summary>
    public static ShapeInference Run(GraphProto graph, long opset)
    {
        var run = new ShapeInference();
        run.Seed(graph);
        var declared = graph.ValueInfo.Concat(graph.Output).ToDictionary(v => v.Name, StringComparer.Ordinal);
        foreach (var node in graph.Node)
        {
            run.Infer(node, opset, declared);
        }

        return run;
    }

    /// <summary>Whether two dims are known to be equal.</summary>
    public bool SameDim(SymDim a, SymDim b) => Dims.SameAs(a, b);

    /// <summary>A readable shape such as <c>[batch,4,s12,s13]</c>.</summary>
    public string Describe(string name)
    {
        var f = this[name];
        var dims = f.Shape is null ? "?" : "[" + string.Join(",", f.Shape.Select(Dims.Describe)) + "]";
        return ElementTypes.Name(f.Type) + dims;
    }

    private void Seed(GraphProto graph)
    {
        foreach (var input in graph.Input)
        {
            var shape = ValueInfos.ShapeOf(input);
            facts[input.Name] = new ValueFacts
            {
                Type = ValueInfos.ElementTypeOf(input),
                Shape = shape?.Select(d => d.Value is long v ? SymDim.Of(v) : Dims.NewSymbol(d.Param)).ToArray(),
            };
        }

        // Initializers override same-named inputs (an input with a default value is still an input, but its shape is the initializer's).
        foreach (var tensor in graph.Initializer)
        {
            if (graph.Input.Any(i => i.Name == tensor.Name))
            {
                continue;
            }

            facts[tensor.Name] = FromTensor(tensor);
        }
    }

    internal static ValueFacts FromTensor(TensorProto tensor)
    {
        var type = TensorProtos.TypeOf(tensor);
        var shape = tensor.Dims.Select(SymDim.Of).ToArray();
        var count = TensorProtos.ElementCount(tensor);
        long[]? ints = null;
        float[]? floats = null;
        var inline = ExternalDataReference.From(tensor) is null;
        if (inline && count <= MaxTrackedConstant)
        {
            if (type is ElementType.Int64 or ElementType.Int32)
            {
                ints = TensorProtos.ReadAsInt64(tensor);
            }
            else if (type is ElementType.Float or ElementType.Float16 or ElementType.Double)
            {
                floats = TensorProtos.ReadAsFloat(tensor);
            }
        }

        return new ValueFacts
        {
            Type = type,
            Shape = shape,
            ConstantInts = ints,
            ConstantFloats = floats,
            DimValues = ints is not null && shape.Length <= 1 && ints.All(v => v >= 0) ? ints.Select(SymDim.Of).ToArray() : null,
        };
    }

    private void Infer(NodeProto node, long opset, Dictionary<string, ValueInfoProto> declared)
    {
        var ctx = new InferenceContext(node, opset, Dims, name => this[name]);
        ValueFacts[] results;
        if (node.Domain is "" or "ai.onnx" && InferenceRules.Table.TryGetValue(node.OpType, out var rule))
        {
            results = rule(ctx);
        }
        else
        {
            results = [];
        }

        for (var i = 0; i < node.Output.Count; i++)
        {
            var name = node.Output[i];
            if (string.IsNullOrEmpty(name))
            {
                continue;
            }

            var f = i < results.Length ? results[i] : ValueFacts.Unknown;
            facts[name] = Refine(f, declared.GetValueOrDefault(name));
        }
    }

    // The exporter's own value_info fills in what our rules could not (type, rank, fixed sizes).
    private ValueFacts Refine(ValueFacts f, ValueInfoProto? info)
    {
        if (info is null)
        {
            return f;
        }

        var type = f.Type == ElementType.Undefined ? ValueInfos.ElementTypeOf(info) : f.Type;
        var shape = f.Shape;
        if (shape is null && ValueInfos.ShapeOf(info) is { } declaredShape)
        {
            shape = [.. declaredShape.Select(d => d.Value is long v ? SymDim.Of(v) : Dims.NewSymbol())];
        }

        return new ValueFacts { Type = type, Shape = shape, DimValues = f.DimValues, ConstantInts = f.ConstantInts, ConstantFloats = f.ConstantFloats };
    }
}
