using OrtDiffusion.Onnx.Building;
using OrtDiffusion.Onnx.Proto;
using OrtDiffusion.Onnx.Shapes;

namespace OrtDiffusion.Onnx.Autodiff;

/// <summary>
/// What a gradient rule sees of one forward node: its inputs and outputs, the incoming gradients of its
/// outputs, which inputs need a gradient, a builder to emit backward nodes with, and shape facts.
/// </summary>
internal sealed class GradientContext
{
    private readonly Func<string, Value?> outputGradient;
    private readonly Func<string, bool> isActive;
    private readonly Action<string, Value> contribute;

    public GradientContext(NodeProto node, GraphBuilder builder, ShapeInference shapes, Func<string, Value?> outputGradient, Func<string, bool> isActive, Action<string, Value> contribute, VjpStatistics statistics)
    {
        Node = node;
        B = builder;
        Shapes = shapes;
        this.outputGradient = outputGradient;
        this.isActive = isActive;
        this.contribute = contribute;
        Statistics = statistics;
    }

    public NodeProto Node { get; }

    public GraphBuilder B { get; }

    public ShapeInference Shapes { get; }

    public VjpStatistics Statistics { get; }

    public long Opset => B.Opset;

    public Value X(int i) => new(Node.Input[i]);

    public Value Y(int i = 0) => new(Node.Output[i]);

    public bool HasInput(int i) => i < Node.Input.Count && !string.IsNullOrEmpty(Node.Input[i]);

    /// <summary>Whether input <paramref name="i"/> depends on a differentiated input (so it needs a gradient).</summary>
    public bool Wants(int i) => HasInput(i) && isActive(Node.Input[i]);

    /// <summary>The gradient arriving at output <paramref name="i"/>, or null when none flows there.</summary>
    public Value? Dy(int i = 0) => i < Node.Output.Count && !string.IsNullOrEmpty(Node.Output[i]) ? outputGradient(Node.Output[i]) : null;

    /// <summary>The gradient of output <paramref name="i"/>, or zeros shaped like that output.</summary>
    public Value DyOrZeros(int i) => Dy(i) ?? ZerosLike(Y(i));

    /// <summary>Adds <paramref name="gradient"/> to input <paramref name="i"/>'s gradient (when it wants one).</summary>
    public void SetDx(int i, Value gradient)
    {
        if (Wants(i))
        {
            contribute(Node.Input[i], gradient);
        }
    }

    public ValueFacts Facts(Value v) => Shapes[v.Name];

    /// <summary>The floating-point type gradients of this node carry.</summary>
    public ElementType FloatType
    {
        get
        {
            var t = Facts(Y(0)).Type;
            return ElementTypes.IsFloatingPoint(t) ? t : ElementType.Float;
        }
    }

    public int Rank(Value v) =>
        Facts(v).Rank ?? throw Fail($"needs the rank of '{v.Name}', which shape inference could not determine");

    public Value Scalar(float value) => B.Scalar(value, FloatType);

    /// <summary><c>mask ? whenTrue : whenFalse</c>; Where exists from opset 9, before that a product with the cast mask.</summary>
    public Value Select(Value mask, Value whenTrue, float whenFalse)
    {
        if (Opset >= 9)
        {
            return B.Where(mask, whenTrue, Scalar(whenFalse));
        }

        if (whenFalse != 0f)
        {
            throw Fail("needs Where (opset 9) for a non-zero alternative");
        }

        return B.Mul(whenTrue, B.Cast(mask, FloatType));
    }

    public Value ZerosLike(Value v) => FloatType == ElementType.Float
        ? B.ConstantOfShape(B.Shape(v), 0f)
        : B.Op("ConstantOfShape", [B.Shape(v)], Attr.Tensor("value", ZeroTensor(FloatType)));

    public long[] ConstInts(int inputIndex, string what) =>
        Shapes[Node.Input[inputIndex]].ConstantInts ?? throw Fail($"needs constant {what} (input {inputIndex}, '{Node.Input[inputIndex]}')");

    public long[]? Axes(int inputIndex) =>
        NodeAttributes.Ints(Node, "axes") ?? (HasInput(inputIndex) ? ConstInts(inputIndex, "axes") : null);

    public long Int(string name, long fallback) => NodeAttributes.Int(Node, name, fallback);

    public float Float(string name, float fallback) => NodeAttributes.Float(Node, name, fallback);

    public string String(string name, string fallback) => NodeAttributes.String(Node, name, fallback);

    public long[]? Ints(string name) => NodeAttributes.Ints(Node, name);

    public NotSupportedException Fail(string why) =>
        new($"Cannot differentiate {NodeAttributes.Describe(Node)} (opset {Opset}): the gradient rule {why}.");

    /// <summary>
    /// Sums a gradient shaped like a broadcast result back to the shape of <paramref name="target"/>:
    /// leading extra axes are summed away, axes where the target has size 1 are summed with keepdims.
    /// Decided statically from inferred shapes where possible; otherwise computed in-graph.
    /// </summary>
    /// <param name="gradient">The gradient to reduce (a backward value, so it has no inferred facts of its own).</param>
    /// <param name="target">The forward value whose shape the result must have.</param>
    /// <param name="gradientShape">The gradient's shape; by default the node's first output's, which is what
    /// arrives at an element-wise node.</param>
    public Value SumToShape(Value gradient, Value target, SymDim[]? gradientShape = null)
    {
        var g = gradientShape ?? Facts(Y(0)).Shape;
        var x = Facts(target).Shape;
        if (g is not null && x is not null && x.Length <= g.Length)
        {
            var lead = g.Length - x.Length;
            var keepAxes = new List<long>();
            var uncertain = false;
            for (var i = 0; i < x.Length; i++)
            {
                var xd = Shapes.Dims.Resolve(x[i]);
                var gd = Shapes.Dims.Resolve(g[lead + i]);
                if (Shapes.SameDim(xd, gd))
                {
                    continue;
                }

                if (xd.IsOne)
                {
                    keepAxes.Add(lead + i);
                }
                else
                {
                    uncertain = true;
                }
            }

            if (!uncertain)
            {
                var result = gradient;
                if (keepAxes.Count > 0)
                {
                    result = B.ReduceSum(result, [.. keepAxes], keepDims: true);
                }

                if (lead > 0)
                {
                    result = B.ReduceSum(result, [.. Enumerable.Range(0, lead).Select(a => (long)a)], keepDims: false);
                }

                if (keepAxes.Count > 0 || lead > 0)
                {
                    Statistics.StaticReductions++;
                }

                return result;
            }
        }

        Statistics.DynamicReductions++;
        return DynamicSumToShape(gradient, target);
    }

    // axes = where(targetShape (left-padded with ones) == 1 and gradientShape != 1); ReduceSum with
    // noop_with_empty_axes, then Reshape to the target's shape to drop the leading axes.
    private Value DynamicSumToShape(Value gradient, Value target)
    {
        if (Opset < 13)
        {
            throw Fail("needs a broadcast reduction whose axes are only known at run time, which requires opset 13 or later");
        }

        var gShape = B.Shape(gradient);
        var xShape = B.Shape(target);
        var gRank = B.Shape(gShape);
        var xRank = B.Shape(xShape);
        var padding = B.Op("ConstantOfShape", [B.Sub(gRank, xRank)], Attr.Tensor("value", IO.TensorProtos.Create<long>(string.Empty, [1L], [1])));
        var padded = B.Concat(0, padding, xShape);
        var one = B.Constant([1L], 1);
        var mask = B.Op("And", [B.Equal(padded, one), B.Op("Not", [B.Equal(gShape, one)])]);
        var axes = B.Reshape(B.Op("NonZero", [mask]), -1);
        var summed = B.Op("ReduceSum", [gradient, axes], Attr.Int("keepdims", 1), Attr.Int("noop_with_empty_axes", 1));
        return B.Reshape(summed, xShape);
    }

    private static TensorProto ZeroTensor(ElementType type) => type switch
    {
        ElementType.Float16 => IO.TensorProtos.Create<Half>(string.Empty, [(Half)0f], [1]),
        ElementType.Double => IO.TensorProtos.Create<double>(string.Empty, [0d], [1]),
        _ => IO.TensorProtos.Create<float>(string.Empty, [0f], [1]),
    };
}
