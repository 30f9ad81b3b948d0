using OrtDiffusion.Onnx.Building;
using OrtDiffusion.Onnx.Proto;
using OrtDiffusion.Onnx.Shapes;

namespace OrtDiffusion.Onnx.Autodiff;

/// <summary>The result of building a VJP graph.</summary>
/// <param name="Model">The VJP model: the forward inputs plus <c>&lt;output&gt;_grad</c>, returning the output and each <c>&lt;input&gt;_grad</c>.</param>
/// <param name="Statistics">Counts describing the graph.</param>
public sealed record VjpResult(OnnxModel Model, VjpStatistics Statistics);

/// <summary>
/// Reverse-mode differentiation of ONNX graphs. For a forward model with inputs x…, an output y and the
/// inputs to differentiate with respect to, builds one model holding the forward pass (only what y needs)
/// followed by the backward pass, with the cotangent <c>y_grad</c> as an extra input and <c>x_grad</c> outputs.
/// Every forward activation the backward pass needs is reused, never recomputed. Each tensor's gradient
/// contributions are summed once, by a single <c>Sum</c>, when its producer is reached in reverse order.
/// </summary>
public static class VjpBuilder
{
    /// <summary>The suffix of cotangent inputs and gradient outputs.</summary>
    public const string GradSuffix = "_grad";

    /// <summary>Changes whenever built graphs would differ; part of the cache key of saved VJP models.</summary>
    public const string Version = "1";

    /// <summary>
    /// The nodes without a gradient rule on the paths from <paramref name="input"/> to the model's outputs
    /// (or to <paramref name="output"/> only): what <see cref="Build"/> would refuse.
    /// </summary>
    public static IReadOnlyList<UnsupportedNode> FindUnsupported(OnnxModel model, string input, string? output = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        var graph = model.Graph;
        var opset = model.OpsetVersion() ?? 0;
        var shapes = ShapeInference.Run(graph, opset);
        var needed = new bool[graph.Node.Count];
        foreach (var o in graph.Output.Where(o => output is null || o.Name == output))
        {
            var forOutput = NeededNodes(graph, o.Name);
            for (var i = 0; i < needed.Length; i++)
            {
                needed[i] |= forOutput[i];
            }
        }

        var active = ActiveValues(graph, shapes, [input], needed);
        return MissingRules(graph, needed, active, model);
    }

    /// <summary>Builds the VJP of <paramref name="output"/> with respect to <paramref name="wrt"/>.</summary>
    /// <exception cref="ArgumentException">The output or an input does not exist, or is not floating point.</exception>
    /// <exception cref="UnsupportedOperatorsException">Operators on the path have no gradient rule.</exception>
    public static VjpResult Build(OnnxModel model, string output, IReadOnlyList<string> wrt)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrEmpty(output);
        ArgumentNullException.ThrowIfNull(wrt);
        var label = model.FilePath ?? model.Graph.Name;
        var graph = model.Graph;
        var opset = model.OpsetVersion() ?? throw new InvalidDataException($"Model '{label}' imports no default-domain opset.");
        var shapes = ShapeInference.Run(graph, opset);
        Validate(graph, shapes, label, output, wrt);

        var needed = NeededNodes(graph, output);
        var active = ActiveValues(graph, shapes, wrt, needed);
        CheckRules(graph, needed, active, label, model);

        var builder = GraphBuilder.Extend(model.Proto);
        var statistics = new VjpStatistics();
        PruneForward(builder.Graph, needed, output);
        statistics.ForwardNodes = builder.Graph.Node.Count;
        var forwardCount = builder.Graph.Node.Count;

        var outputInfo = DeclaredOrInferred(graph.Output.Single(o => o.Name == output), shapes);
        var seed = builder.Input(output + GradSuffix, ValueInfos.ElementTypeOf(outputInfo), ValueInfos.ShapeOf(outputInfo) ?? []);
        if (ValueInfos.ShapeOf(outputInfo) is null)
        {
            builder.Graph.Input[^1].Type.TensorType.Shape = null;
        }

        var contributions = new Dictionary<string, List<Value>>(StringComparer.Ordinal) { [output] = [seed] };
        var finished = new Dictionary<string, Value?>(StringComparer.Ordinal);

        Value? GradientOf(string name)
        {
            if (finished.TryGetValue(name, out var done))
            {
                return done;
            }

            Value? total = null;
            if (contributions.TryGetValue(name, out var parts) && parts.Count > 0)
            {
                if (parts.Count == 1)
                {
                    total = parts[0];
                }
                else
                {
                    using (builder.Scope("Grad/Accumulate"))
                    {
                        total = builder.Op("Sum", parts);
                    }

                    statistics.AccumulatedTensors++;
                }
            }

            finished[name] = total;
            return total;
        }

        void Contribute(string name, Value gradient)
        {
            if (finished.ContainsKey(name))
            {
                throw new InvalidOperationException($"Internal error: gradient for '{name}' arrived after it was finalised.");
            }

            if (!contributions.TryGetValue(name, out var list))
            {
                contributions[name] = list = [];
            }

            list.Add(gradient);
        }

        for (var n = graph.Node.Count - 1; n >= 0; n--)
        {
            var node = graph.Node[n];
            if (!needed[n] || !IsDifferentiated(node, active))
            {
                continue;
            }

            var context = new GradientContext(node, builder, shapes, GradientOf, active.Contains, Contribute, statistics);
            if (node.Output.All(o => string.IsNullOrEmpty(o) || GradientOf(o) is null))
            {
                continue;
            }

            using (builder.Scope("Grad" + (node.Name.StartsWith('/') ? node.Name : "/" + (string.IsNullOrEmpty(node.Name) ? node.OpType : node.Name))))
            {
                GradientRules.Table[node.OpType](context);
            }

            statistics.DifferentiatedNodes++;
        }

        builder.Graph.Output.Clear();
        builder.Graph.Output.Add(outputInfo.Clone());
        foreach (var name in wrt)
        {
            var info = graph.Input.FirstOrDefault(i => i.Name == name);
            var gradient = GradientOf(name);
            Value result;
            using (builder.Scope("Grad/Outputs"))
            {
                if (gradient is null)
                {
                    // No path from this input to the output: its gradient is exactly zero.
                    var zeros = builder.ConstantOfShape(builder.Shape(new Value(name)), 0f);
                    gradient = ValueInfos.ElementTypeOf(info!) == ElementType.Float ? zeros : builder.Cast(zeros, ValueInfos.ElementTypeOf(info!));
                }

                result = builder.Output(gradient.Value, name + GradSuffix, ValueInfos.ElementTypeOf(info!), ValueInfos.ShapeOf(info!) ?? []);
            }

            if (ValueInfos.ShapeOf(info!) is null)
            {
                builder.Graph.Output[^1].Type.TensorType.Shape = null;
            }

            _ = result;
        }

        statistics.BackwardNodes = builder.Graph.Node.Count - forwardCount;
        var proto = builder.BuildLike(model.Proto);
        proto.MetadataProps.Add(new StringStringEntryProto { Key = "ortdiffusion.vjp", Value = $"d({output})/d({string.Join(",", wrt)})" });
        return new VjpResult(OnnxModel.FromProto(proto, model.FilePath), statistics);
    }

    // The output's declared type and shape, or the inferred shape when the graph declares none, so the
    // cotangent input can be checked by shape at run time.
    private static ValueInfoProto DeclaredOrInferred(ValueInfoProto declared, ShapeInference shapes)
    {
        if (ValueInfos.ShapeOf(declared) is not null || shapes[declared.Name].Shape is not { } inferred)
        {
            return declared;
        }

        var dims = inferred.Select(d => shapes.Dims.Resolve(d)).Select(d => d.IsFixed ? Dim.Fixed(d.FixedValue) : Dim.Symbolic(shapes.Dims.Describe(d))).ToArray();
        return ValueInfos.Tensor(declared.Name, ValueInfos.ElementTypeOf(declared), dims);
    }

    private static void Validate(GraphProto graph, ShapeInference shapes, string label, string output, IReadOnlyList<string> wrt)
    {
        var outputInfo = graph.Output.FirstOrDefault(o => o.Name == output)
            ?? throw new ArgumentException($"Model '{label}' has no output '{output}'. Outputs: {string.Join(", ", graph.Output.Select(o => o.Name))}.", nameof(output));
        if (!ElementTypes.IsFloatingPoint(ValueInfos.ElementTypeOf(outputInfo)))
        {
            throw new ArgumentException($"Output '{output}' of model '{label}' is {ElementTypes.Name(ValueInfos.ElementTypeOf(outputInfo))}; only floating-point outputs can be differentiated.", nameof(output));
        }

        if (wrt.Count == 0)
        {
            throw new ArgumentException("Name at least one input to differentiate with respect to.", nameof(wrt));
        }

        foreach (var name in wrt)
        {
            var input = graph.Input.FirstOrDefault(i => i.Name == name)
                ?? throw new ArgumentException($"Model '{label}' has no input '{name}'. Inputs: {string.Join(", ", graph.Input.Select(i => i.Name).Where(n => graph.Initializer.All(t => t.Name != n)))}.", nameof(wrt));
            if (!ElementTypes.IsFloatingPoint(ValueInfos.ElementTypeOf(input)))
            {
                throw new ArgumentException($"Input '{name}' of model '{label}' is {ElementTypes.Name(ValueInfos.ElementTypeOf(input))}; only floating-point inputs have gradients.", nameof(wrt));
            }

            if (graph.Output.Any(o => o.Name == name + GradSuffix) || graph.Input.Any(i => i.Name == output + GradSuffix))
            {
                throw new ArgumentException($"Model '{label}' already has a value named '{name}{GradSuffix}' or '{output}{GradSuffix}'.", nameof(wrt));
            }
        }

        if (wrt.Distinct(StringComparer.Ordinal).Count() != wrt.Count)
        {
            throw new ArgumentException("An input is named twice.", nameof(wrt));
        }

        _ = shapes;
    }

    // Nodes the output depends on (reverse reachability).
    private static bool[] NeededNodes(GraphProto graph, string output)
    {
        var needed = new bool[graph.Node.Count];
        var neededValues = new HashSet<string>(StringComparer.Ordinal) { output };
        for (var n = graph.Node.Count - 1; n >= 0; n--)
        {
            var node = graph.Node[n];
            if (!node.Output.Any(neededValues.Contains))
            {
                continue;
            }

            needed[n] = true;
            foreach (var input in node.Input)
            {
                if (!string.IsNullOrEmpty(input))
                {
                    neededValues.Add(input);
                }
            }

            // Subgraphs (If/Loop bodies) may read outer values implicitly.
            foreach (var attribute in node.Attribute.Where(a => a.G is not null))
            {
                foreach (var inner in attribute.G.Node.SelectMany(i => i.Input))
                {
                    neededValues.Add(inner);
                }
            }
        }

        return needed;
    }

    // Floating-point values that depend on a differentiated input through differentiable operators.
    private static HashSet<string> ActiveValues(GraphProto graph, ShapeInference shapes, IReadOnlyList<string> wrt, bool[] needed)
    {
        var active = new HashSet<string>(wrt, StringComparer.Ordinal);
        for (var n = 0; n < graph.Node.Count; n++)
        {
            var node = graph.Node[n];
            if (!needed[n] || GradientRules.StopsGradient(node.OpType) || !node.Input.Any(active.Contains))
            {
                continue;
            }

            foreach (var o in node.Output)
            {
                var type = shapes[o].Type;
                if (!string.IsNullOrEmpty(o) && (ElementTypes.IsFloatingPoint(type) || type == ElementType.Undefined))
                {
                    active.Add(o);
                }
            }
        }

        return active;
    }

    private static bool IsDifferentiated(NodeProto node, HashSet<string> active) =>
        node.Output.Any(active.Contains) && node.Input.Any(active.Contains);

    private static void CheckRules(GraphProto graph, bool[] needed, HashSet<string> active, string label, OnnxModel model)
    {
        var missing = MissingRules(graph, needed, active, model);
        if (missing.Count > 0)
        {
            throw new UnsupportedOperatorsException(label, missing);
        }
    }

    private static List<UnsupportedNode> MissingRules(GraphProto graph, bool[] needed, HashSet<string> active, OnnxModel model)
    {
        var missing = new List<UnsupportedNode>();
        for (var n = 0; n < graph.Node.Count; n++)
        {
            var node = graph.Node[n];
            if (!needed[n] || !IsDifferentiated(node, active))
            {
                continue;
            }

            var defaultDomain = node.Domain is "" or "ai.onnx";
            if (!defaultDomain || !GradientRules.Table.ContainsKey(node.OpType))
            {
                var opType = defaultDomain ? node.OpType : $"{node.Domain}.{node.OpType}";
                missing.Add(new UnsupportedNode(opType, string.IsNullOrEmpty(node.Name) ? node.Output[0] : node.Name, model.OpsetVersion(defaultDomain ? "" : node.Domain) ?? 0));
            }
        }

        return missing;
    }

    private static void PruneForward(GraphProto graph, bool[] needed, string output)
    {
        var kept = graph.Node.Where((_, i) => needed[i]).ToList();
        graph.Node.Clear();
        graph.Node.Add(kept);
        var used = new HashSet<string>(kept.SelectMany(n => n.Input), StringComparer.Ordinal) { output };
        var initializers = graph.Initializer.Where(t => used.Contains(t.Name) || graph.Input.Any(i => i.Name == t.Name)).ToList();
        graph.Initializer.Clear();
        graph.Initializer.Add(initializers);
        var valueInfo = graph.ValueInfo.Where(v => used.Contains(v.Name)).ToList();
        graph.ValueInfo.Clear();
        graph.ValueInfo.Add(valueInfo);
    }
}
