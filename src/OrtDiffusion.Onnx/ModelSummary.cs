using OrtDiffusion.Onnx.Autodiff;
using OrtDiffusion.Onnx.IO;
using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Onnx;

/// <summary>One graph input or output as a summary shows it.</summary>
/// <param name="Name">The value's name.</param>
/// <param name="Type">Its element type.</param>
/// <param name="Shape">Its shape, e.g. <c>[batch,4,height,width]</c>, or <c>?</c> when undeclared.</param>
public sealed record ValueSummary(string Name, ElementType Type, string Shape);

/// <summary>Differentiability of one floating-point input: the nodes on its paths that have no gradient rule.</summary>
/// <param name="Input">The input's name.</param>
/// <param name="Unsupported">The nodes the differentiator would refuse (empty when every path is covered).</param>
public sealed record DifferentiabilitySummary(string Input, IReadOnlyList<UnsupportedNode> Unsupported);

/// <summary>What <c>ortdiff info</c> reports about a model, read without loading external weights.</summary>
public sealed class ModelSummary
{
    private ModelSummary()
    {
    }

    /// <summary>The file summarised.</summary>
    public required string Path { get; init; }

    /// <summary>Producer name and version.</summary>
    public required string Producer { get; init; }

    /// <summary>The IR version.</summary>
    public long IrVersion { get; init; }

    /// <summary>Imported opsets by domain ("" is the default ONNX domain).</summary>
    public required IReadOnlyDictionary<string, long> Opsets { get; init; }

    /// <summary>Graph inputs that are not initializers.</summary>
    public required IReadOnlyList<ValueSummary> Inputs { get; init; }

    /// <summary>Graph outputs.</summary>
    public required IReadOnlyList<ValueSummary> Outputs { get; init; }

    /// <summary>Node count per operator type (domain-qualified outside the default domain), most frequent first.</summary>
    public required IReadOnlyList<KeyValuePair<string, int>> OperatorHistogram { get; init; }

    /// <summary>Total nodes in the main graph.</summary>
    public int NodeCount { get; init; }

    /// <summary>Number of initializers.</summary>
    public int InitializerCount { get; init; }

    /// <summary>Bytes of initializer data stored inside the model file.</summary>
    public long InlineWeightBytes { get; init; }

    /// <summary>Bytes of initializer data stored in external files.</summary>
    public long ExternalWeightBytes { get; init; }

    /// <summary>The external data files the initializers refer to.</summary>
    public required IReadOnlyList<string> ExternalDataFiles { get; init; }

    /// <summary>Model-local functions (<c>domain.name</c>); nodes calling them cannot be differentiated.</summary>
    public required IReadOnlyList<string> Functions { get; init; }

    /// <summary>For each floating-point input, the nodes without a gradient rule on its paths.</summary>
    public required IReadOnlyList<DifferentiabilitySummary> Differentiability { get; init; }

    /// <summary>Summarises the model at <paramref name="path"/>.</summary>
    public static ModelSummary Read(string path)
    {
        var model = OnnxModel.Load(path);
        var graph = model.Graph;
        var initializerNames = graph.Initializer.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
        var inputs = graph.Input.Where(i => !initializerNames.Contains(i.Name)).ToList();
        long inline = 0;
        long external = 0;
        foreach (var tensor in graph.Initializer)
        {
            var bytes = TensorProtos.ElementCount(tensor) * ElementTypes.SizeOf(TensorProtos.TypeOf(tensor));
            if (ExternalDataReference.From(tensor) is null)
            {
                inline += bytes;
            }
            else
            {
                external += bytes;
            }
        }

        return new ModelSummary
        {
            Path = path,
            Producer = $"{model.Proto.ProducerName} {model.Proto.ProducerVersion}".Trim(),
            IrVersion = model.Proto.IrVersion,
            Opsets = model.Proto.OpsetImport.ToDictionary(o => o.Domain, o => o.Version),
            Inputs = [.. inputs.Select(Describe)],
            Outputs = [.. graph.Output.Select(Describe)],
            OperatorHistogram = [.. graph.Node
                .GroupBy(n => n.Domain is "" or "ai.onnx" ? n.OpType : $"{n.Domain}.{n.OpType}")
                .Select(g => KeyValuePair.Create(g.Key, g.Count()))
                .OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal)],
            NodeCount = graph.Node.Count,
            InitializerCount = graph.Initializer.Count,
            InlineWeightBytes = inline,
            ExternalWeightBytes = external,
            ExternalDataFiles = model.ExternalDataFiles(),
            Functions = [.. model.Proto.Functions.Select(f => $"{f.Domain}.{f.Name}")],
            Differentiability = [.. inputs
                .Where(i => ElementTypes.IsFloatingPoint(ValueInfos.ElementTypeOf(i)))
                .Select(i => new DifferentiabilitySummary(i.Name, VjpBuilder.FindUnsupported(model, i.Name)))],
        };
    }

    private static ValueSummary Describe(ValueInfoProto info)
    {
        var shape = ValueInfos.ShapeOf(info);
        return new ValueSummary(info.Name, ValueInfos.ElementTypeOf(info), shape is null ? "?" : "[" + string.Join(",", shape.Select(d => d.ToString())) + "]");
    }
}
