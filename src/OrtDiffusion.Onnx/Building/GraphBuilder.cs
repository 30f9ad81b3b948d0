using OrtDiffusion.Onnx.IO;
using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Onnx.Building;

/// <summary>
/// Writes ONNX graphs from C# with readable call sites. Node and value names follow torch.onnx.export's
/// scheme (<c>/scope/Op</c>, <c>/scope/Op_output_0</c>) so built graphs read like exported ones.
/// Typed helpers for individual operators live in the other parts of this class.
/// </summary>
public sealed partial class GraphBuilder
{
    private readonly GraphProto graph = new();
    private readonly HashSet<string> usedNames = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> nodeCounters = new(StringComparer.Ordinal);
    private readonly List<string> scopes = [];
    private readonly Dictionary<string, long> opsets = new(StringComparer.Ordinal);

    /// <summary>Starts a graph that imports the default ONNX domain at <paramref name="opset"/>.</summary>
    public GraphBuilder(string name, int opset = 17)
    {
        if (opset < 7)
        {
            throw new ArgumentOutOfRangeException(nameof(opset), opset, "Opsets before 7 are not supported.");
        }

        graph.Name = name;
        Opset = opset;
        opsets[""] = opset;
    }

    private GraphBuilder(ModelProto template)
    {
        graph = template.Graph.Clone();
        Opset = (int)(template.OpsetImport.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version
            ?? throw new InvalidDataException($"Graph '{graph.Name}' imports no default-domain opset."));
        foreach (var import in template.OpsetImport)
        {
            opsets[import.Domain == "ai.onnx" ? "" : import.Domain] = import.Version;
        }

        foreach (var name in graph.Input.Select(i => i.Name)
                     .Concat(graph.Initializer.Select(t => t.Name))
                     .Concat(graph.Node.SelectMany(n => n.Output)))
        {
            if (!string.IsNullOrEmpty(name))
            {
                usedNames.Add(name);
            }
        }
    }

    /// <summary>
    /// Starts from a copy of an existing model's graph so new nodes can be appended to it
    /// (used by the differentiator to add a backward pass after the forward one).
    /// </summary>
    public static GraphBuilder Extend(ModelProto model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new GraphBuilder(model);
    }

    /// <summary>The graph under construction (for callers that edit inputs, outputs or nodes directly).</summary>
    public GraphProto Graph => graph;

    /// <summary>Whether a value of this name exists in the graph.</summary>
    public bool IsDefined(string name) => usedNames.Contains(name);

    /// <summary>The default-domain opset the graph imports; typed helpers encode operators for it.</summary>
    public int Opset { get; }

    /// <summary>Number of nodes added so far.</summary>
    public int NodeCount => graph.Node.Count;

    /// <summary>Imports another operator domain (e.g. <c>com.microsoft</c>).</summary>
    public void ImportDomain(string domain, long version) => opsets[domain] = version;

    /// <summary>Declares a graph input.</summary>
    public Value Input(string name, ElementType type, params Dim[] shape)
    {
        Claim(name);
        graph.Input.Add(ValueInfos.Tensor(name, type, shape));
        return new Value(name);
    }

    /// <summary>Declares <paramref name="value"/> as a graph output called <paramref name="name"/>.</summary>
    /// <param name="value">The value to expose; an Identity node renames it when its name differs.</param>
    /// <param name="name">The output name users see.</param>
    /// <param name="type">The element type.</param>
    /// <param name="shape">The shape, or nothing when only the rank-free type is declared.</param>
    public Value Output(Value value, string name, ElementType type, params Dim[]? shape)
    {
        if (value.Name != name)
        {
            Claim(name);
            AddNode("Identity", [value], [name], []);
            value = new Value(name);
        }

        graph.Output.Add(ValueInfos.Tensor(name, type, shape));
        return value;
    }

    /// <summary>Adds an initializer holding <paramref name="data"/>.</summary>
    public Value Initializer<T>(string name, T[] data, params long[] dims)
        where T : unmanaged
    {
        Claim(name);
        graph.Initializer.Add(TensorProtos.Create<T>(name, data, dims));
        return new Value(name);
    }

    /// <summary>Adds a ready-made initializer.</summary>
    public Value Initializer(TensorProto tensor)
    {
        Claim(tensor.Name);
        graph.Initializer.Add(tensor);
        return new Value(tensor.Name);
    }

    /// <summary>Adds a <c>Constant</c> node holding <paramref name="data"/> with shape <paramref name="dims"/>.</summary>
    public Value Constant<T>(T[] data, params long[] dims)
        where T : unmanaged
    {
        var output = NextOutputName("Constant");
        var tensor = TensorProtos.Create<T>(string.Empty, data, dims);
        AddNode("Constant", [], [output], [Attr.Tensor("value", tensor)]);
        return new Value(output);
    }

    /// <summary>A 0-d float constant.</summary>
    public Value Scalar(float value) => Constant([value]);

    /// <summary>A 0-d constant of the given element type (float, float16 or double).</summary>
    public Value Scalar(float value, ElementType type) => type switch
    {
        ElementType.Float => Constant([value]),
        ElementType.Float16 => Constant([(Half)value]),
        ElementType.Double => Constant([(double)value]),
        _ => throw new ArgumentException($"Scalar constants of type {ElementTypes.Name(type)} are not supported.", nameof(type)),
    };

    /// <summary>A 1-d int64 constant (shapes, axes, pads).</summary>
    public Value Ints(params long[] values) => Constant(values, values.Length);

    /// <summary>Opens a naming scope; node names get <c>/name</c> appended until the returned handle is disposed.</summary>
    public IDisposable Scope(string name)
    {
        scopes.Add(name);
        return new ScopeHandle(this, scopes.Count);
    }

    /// <summary>Adds a node with one output.</summary>
    public Value Op(string opType, IReadOnlyList<Value> inputs, params AttributeProto[] attributes) =>
        Op(opType, inputs, 1, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs.</summary>
    public Value[] Op(string opType, IReadOnlyList<Value> inputs, int outputCount, params AttributeProto[] attributes)
    {
        var nodeName = NextNodeName(opType);
        var outputs = new string[outputCount];
        for (var i = 0; i < outputCount; i++)
        {
            outputs[i] = Unclaimed($"{nodeName}_output_{i}");
            Claim(outputs[i]);
        }

        AddNode(opType, inputs, outputs, attributes, nodeName);
        return [.. outputs.Select(o => new Value(o))];
    }

    /// <summary>Adds a node in another domain (e.g. a contrib operator).</summary>
    public Value[] Op(string domain, string opType, IReadOnlyList<Value> inputs, int outputCount, params AttributeProto[] attributes)
    {
        var outputs = Op(opType, inputs, outputCount, attributes);
        graph.Node[^1].Domain = domain;
        return outputs;
    }

    /// <summary>Records a shape/type annotation for an intermediate value.</summary>
    public void Annotate(Value value, ElementType type, params Dim[] shape) =>
        graph.ValueInfo.Add(ValueInfos.Tensor(value.Name, type, shape));

    /// <summary>Builds the model message (IR version 8, the graph and the opset imports).</summary>
    public ModelProto Build(string producer = "OrtDiffusion")
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = producer,
            ProducerVersion = typeof(GraphBuilder).Assembly.GetName().Version?.ToString() ?? "0",
            Graph = graph.Clone(),
        };
        foreach (var (domain, version) in opsets)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        }

        return model;
    }

    /// <summary>
    /// Builds a model that keeps <paramref name="template"/>'s model-level fields (IR version, producer,
    /// metadata, functions) with this builder's graph and opset imports.
    /// </summary>
    public ModelProto BuildLike(ModelProto template)
    {
        var model = template.Clone();
        model.Graph = graph.Clone();
        model.OpsetImport.Clear();
        foreach (var (domain, version) in opsets)
        {
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = domain, Version = version });
        }

        return model;
    }

    /// <summary>Builds the model and wraps it.</summary>
    public OnnxModel ToModel(string producer = "OrtDiffusion") => OnnxModel.FromProto(Build(producer));

    private void AddNode(string opType, IReadOnlyList<Value> inputs, IReadOnlyList<string> outputs, IReadOnlyList<AttributeProto> attributes, string? name = null)
    {
        var node = new NodeProto { OpType = opType, Name = name ?? NextNodeName(opType) };
        foreach (var input in inputs)
        {
            if (!input.IsNone && !usedNames.Contains(input.Name))
            {
                throw new ArgumentException($"Node '{node.Name}' uses '{input.Name}', which is not defined in graph '{graph.Name}'.", nameof(inputs));
            }

            node.Input.Add(input.Name);
        }

        node.Output.Add(outputs);
        node.Attribute.Add(attributes);
        graph.Node.Add(node);
    }

    private string NextOutputName(string opType)
    {
        var name = Unclaimed($"{NextNodeName(opType)}_output_0");
        Claim(name);
        return name;
    }

    // Extended graphs may already hold a value of the generated name; add a suffix until it is free.
    private string Unclaimed(string name)
    {
        var candidate = name;
        for (var i = 1; usedNames.Contains(candidate); i++)
        {
            candidate = $"{name}_{i}";
        }

        return candidate;
    }

    private string NextNodeName(string opType)
    {
        var prefix = scopes.Count == 0 ? "/" : "/" + string.Join("/", scopes) + "/";
        var key = prefix + opType;
        var n = nodeCounters.GetValueOrDefault(key);
        nodeCounters[key] = n + 1;
        return n == 0 ? key : $"{key}_{n}";
    }

    private void Claim(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw new ArgumentException("Graph values need a name.", nameof(name));
        }

        if (!usedNames.Add(name))
        {
            throw new ArgumentException($"Graph '{graph.Name}' already has a value named '{name}'.", nameof(name));
        }
    }

    private sealed class ScopeHandle(GraphBuilder owner, int depth) : IDisposable
    {
        private bool disposed;

        public void Dispose()
        {
            if (disposed)
            {
                return;
            }

            disposed = true;
            if (owner.scopes.Count != depth)
            {
                throw new InvalidOperationException("Graph scopes must be closed in the reverse order of opening.");
            }

            owner.scopes.RemoveAt(depth - 1);
        }
    }
}
