using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Onnx.Autodiff;

/// <summary>
/// A VJP split into two models so a caller can run the forward pass, compute the cotangent from its output
/// (e.g. through other networks), and only then run the backward pass — without recomputing the forward.
/// <see cref="Forward"/> is the forward graph with extra outputs: the <see cref="Residuals"/>, every forward
/// value the backward pass reads. <see cref="Backward"/> takes those residuals, the forward inputs it reads
/// (<see cref="BackwardInputs"/>) and the cotangent, and returns the input gradients. Both refer to the same
/// external weight files.
/// </summary>
/// <param name="Forward">Forward model returning the output followed by the residuals.</param>
/// <param name="Backward">Backward model.</param>
/// <param name="Residuals">Forward values the backward pass reads, in the order the forward model returns them after the output.</param>
/// <param name="BackwardInputs">Original graph inputs the backward pass reads directly.</param>
/// <param name="Statistics">Counts describing the combined graph.</param>
public sealed record SplitVjp(OnnxModel Forward, OnnxModel Backward, IReadOnlyList<string> Residuals, IReadOnlyList<string> BackwardInputs, VjpStatistics Statistics)
{
    /// <summary>Splits the VJP of <paramref name="output"/> with respect to <paramref name="wrt"/>.</summary>
    public static SplitVjp Build(OnnxModel model, string output, IReadOnlyList<string> wrt)
    {
        var combined = VjpBuilder.Build(model, output, wrt);
        var graph = combined.Model.Graph;
        var forwardCount = combined.Statistics.ForwardNodes;
        var forwardNodes = graph.Node.Take(forwardCount).ToList();
        var backwardNodes = graph.Node.Skip(forwardCount).ToList();

        var producedForward = forwardNodes.SelectMany(n => n.Output).Where(o => o.Length > 0).ToHashSet(StringComparer.Ordinal);
        var graphInputs = graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var initializers = graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var backwardReads = backwardNodes.SelectMany(n => n.Input).Where(i => i.Length > 0).ToHashSet(StringComparer.Ordinal);
        var gradientOutputs = graph.Output.Skip(1).ToList();

        var residuals = producedForward.Where(backwardReads.Contains).Order(StringComparer.Ordinal).ToList();
        foreach (var g in gradientOutputs.Where(g => producedForward.Contains(g.Name)))
        {
            // A gradient that is itself a forward value (unusual) still has to cross over.
            if (!residuals.Contains(g.Name))
            {
                residuals.Add(g.Name);
            }
        }

        var backwardInputs = graph.Input
            .Select(i => i.Name)
            .Where(n => !initializers.ContainsKey(n) && n != output + VjpBuilder.GradSuffix && (backwardReads.Contains(n) || gradientOutputs.Any(g => g.Name == n)))
            .ToList();

        // Forward: the forward nodes, their initializers, the original inputs; outputs y and the residuals.
        var forward = combined.Model.Proto.Clone();
        var fg = forward.Graph;
        fg.Node.Clear();
        fg.Node.Add(forwardNodes.Select(n => n.Clone()));
        Keep(fg, forwardNodes);
        fg.Input.Clear();
        fg.Input.Add(graph.Input.Where(i => i.Name != output + VjpBuilder.GradSuffix).Select(i => i.Clone()));
        fg.Output.Clear();
        fg.Output.Add(graph.Output[0].Clone());
        foreach (var r in residuals)
        {
            fg.Output.Add(new ValueInfoProto { Name = r });
        }

        // Backward: residuals, the inputs it reads and the cotangent in; gradients out.
        var backward = combined.Model.Proto.Clone();
        var bg = backward.Graph;
        bg.Node.Clear();
        bg.Node.Add(backwardNodes.Select(n => n.Clone()));
        Keep(bg, backwardNodes);
        var inputInfos = graph.Input.ToDictionary(i => i.Name, StringComparer.Ordinal);
        var shapes = Shapes.ShapeInference.Run(model);
        bg.Input.Clear();
        foreach (var r in residuals)
        {
            bg.Input.Add(new ValueInfoProto { Name = r, Type = TypeOf(shapes[r].Type) });
        }

        bg.Input.Add(backwardInputs.Select(n => inputInfos[n].Clone()));
        bg.Input.Add(inputInfos[output + VjpBuilder.GradSuffix].Clone());
        bg.Output.Clear();
        bg.Output.Add(gradientOutputs.Select(o => o.Clone()));

        return new SplitVjp(
            OnnxModel.FromProto(forward, model.FilePath),
            OnnxModel.FromProto(backward, model.FilePath),
            residuals,
            backwardInputs,
            combined.Statistics);
    }

    // Keeps only the initializers and value_info the given nodes read.
    private static void Keep(GraphProto graph, List<NodeProto> nodes)
    {
        var used = nodes.SelectMany(n => n.Input).Concat(nodes.SelectMany(n => n.Output)).ToHashSet(StringComparer.Ordinal);
        var initializers = graph.Initializer.Where(t => used.Contains(t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.Add(initializers);
        var infos = graph.ValueInfo.Where(v => used.Contains(v.Name)).ToList();
        graph.ValueInfo.Clear();
        graph.ValueInfo.Add(infos);
    }

    // Residual inputs need a declared element type (their shapes are left open); inference gives it.
    private static TypeProto TypeOf(ElementType type) =>
        new() { TensorType = new TypeProto.Types.Tensor { ElemType = (int)(type == ElementType.Undefined ? ElementType.Float : type) } };
}
