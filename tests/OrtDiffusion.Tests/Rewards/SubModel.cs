using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Tests.Rewards;

/// <summary>Cuts a graph at an inner value: the nodes that value needs, the inputs they read, the value as the only output.</summary>
internal static class SubModel
{
    public static OnnxModel Upto(OnnxModel model, string value)
    {
        var proto = model.Proto.Clone();
        var graph = proto.Graph;
        var needed = new HashSet<string>(StringComparer.Ordinal) { value };
        var kept = new List<NodeProto>();
        foreach (var node in graph.Node.Reverse())
        {
            if (node.Output.Any(needed.Contains))
            {
                kept.Add(node);
                foreach (var input in node.Input.Where(i => i.Length > 0))
                {
                    needed.Add(input);
                }
            }
        }

        kept.Reverse();
        graph.Node.Clear();
        graph.Node.Add(kept);
        var inputs = graph.Input.Where(i => needed.Contains(i.Name)).ToList();
        graph.Input.Clear();
        graph.Input.Add(inputs);
        var initializers = graph.Initializer.Where(t => needed.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.Add(initializers);
        graph.Output.Clear();
        graph.Output.Add(ValueInfos.Tensor(value, ElementType.Float, null));
        return OnnxModel.FromProto(proto);
    }
}
