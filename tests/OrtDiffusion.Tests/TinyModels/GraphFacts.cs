using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.IO;
using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>Read-only facts about a loaded graph, for structure tests.</summary>
internal static class GraphFacts
{
    public static Dictionary<string, int> OpHistogram(OnnxModel model) =>
        model.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);

    public static ValueInfoProto Input(OnnxModel model, string name) =>
        model.Graph.Input.SingleOrDefault(i => i.Name == name) ?? throw new Xunit.Sdk.XunitException($"{model.FilePath} has no input '{name}'; it has {string.Join(", ", model.Graph.Input.Select(i => i.Name))}.");

    public static ValueInfoProto Output(OnnxModel model, string name) =>
        model.Graph.Output.SingleOrDefault(i => i.Name == name) ?? throw new Xunit.Sdk.XunitException($"{model.FilePath} has no output '{name}'.");

    /// <summary>The value info as text, e.g. <c>float[batch_size,4,height,width]</c>.</summary>
    public static string Describe(ValueInfoProto info) => ValueInfos.Describe(info);

    public static AttributeProto? Attribute(NodeProto node, string name) => node.Attribute.FirstOrDefault(a => a.Name == name);

    /// <summary>The value of a <c>Constant</c> node's output or an initializer, as int64s (null when neither).</summary>
    public static long[]? ConstantInts(OnnxModel model, string valueName)
    {
        var producer = model.Graph.Node.FirstOrDefault(n => n.Output.Contains(valueName));
        if (producer?.OpType == "Constant")
        {
            return TensorProtos.ReadAsInt64(Attribute(producer, "value")!.T);
        }

        var initializer = model.Graph.Initializer.FirstOrDefault(t => t.Name == valueName);
        return initializer is null ? null : TensorProtos.ReadAsInt64(initializer, model.Directory);
    }

    /// <summary>The value of a <c>Constant</c> node's float output (null when it is not one).</summary>
    public static float[]? ConstantFloats(OnnxModel model, string valueName)
    {
        var producer = model.Graph.Node.FirstOrDefault(n => n.Output.Contains(valueName));
        return producer?.OpType == "Constant" ? TensorProtos.ReadAsFloat(Attribute(producer, "value")!.T) : null;
    }

    /// <summary>
    /// The nodes whose outputs depend on the values (not only the shapes) of the graph's floating-point inputs or
    /// weights: every path a gradient can run along. <c>Shape</c> cuts the dependence.
    /// </summary>
    public static HashSet<NodeProto> OnFloatDataPath(OnnxModel model)
    {
        var tainted = model.Graph.Input.Where(i => ElementTypes.IsFloatingPoint(ValueInfos.ElementTypeOf(i))).Select(i => i.Name)
            .Concat(model.Graph.Initializer.Where(t => ElementTypes.IsFloatingPoint((ElementType)t.DataType)).Select(t => t.Name))
            .ToHashSet(StringComparer.Ordinal);
        var nodes = new HashSet<NodeProto>();
        foreach (var node in model.Graph.Node)
        {
            // Nodes are topologically ordered, as ONNX requires.
            if (node.OpType != "Shape" && node.Input.Any(tainted.Contains))
            {
                nodes.Add(node);
                foreach (var output in node.Output)
                {
                    tainted.Add(output);
                }
            }
        }

        return nodes;
    }
}
