using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.Onnx.IO;

namespace OrtDiffusion.TinyModels.Building;

/// <summary>
/// A <see cref="GraphBuilder"/> with seeded weights and a compute element type (float or float16). The
/// partial files add the op patterns torch.onnx.export writes for common torch modules, so the zoo's graphs
/// meet our differentiator with the same node shapes as real diffusers / transformers exports.
/// </summary>
internal sealed partial class ExportGraph
{
    /// <summary>Channels a convolution copies through its centre taps (see <see cref="Conv"/>).</summary>
    /// <param name="From">First input channel copied.</param>
    /// <param name="Count">Number of channels, copied to output channels 0 … Count − 1.</param>
    /// <param name="Gain">Scale of the copy.</param>
    /// <param name="BiasOffset">Added to the bias of output channels 0 … Count − 1 (to centre a copy of a non-zero-mean input).</param>
    public readonly record struct PassThrough(long From, long Count, double Gain, double BiasOffset = 0);

    private readonly long seed;

    public ExportGraph(string name, int opset, long seed, ElementType dtype)
    {
        if (dtype is not (ElementType.Float or ElementType.Float16))
        {
            throw new ArgumentException($"The zoo builds float or float16 graphs, not {ElementTypes.Name(dtype)}.", nameof(dtype));
        }

        G = new GraphBuilder(name, opset);
        Dtype = dtype;
        this.seed = seed;
    }

    /// <summary>The underlying builder.</summary>
    public GraphBuilder G { get; }

    /// <summary>The element type weights, activations and float constants use.</summary>
    public ElementType Dtype { get; }

    /// <summary>The default-domain opset of the graph.</summary>
    public int Opset => G.Opset;

    /// <summary>An initializer of N(mean, std²) values drawn from the tensor's own seeded stream.</summary>
    public Value Normal(string name, double std, long[] dims, double mean = 0) => Initializer(name, NormalValues(name, std, dims, mean), dims);

    /// <summary>The values <see cref="Normal"/> stores, for callers that adjust them first.</summary>
    public float[] NormalValues(string name, double std, long[] dims, double mean = 0)
    {
        var count = checked((int)dims.Aggregate(1L, (a, b) => a * b));
        var random = SeededNormal.ForName(seed, name);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)(mean + (std * random.Next()));
        }

        return values;
    }

    /// <summary>An initializer holding given float values, stored in the graph's element type.</summary>
    public Value Initializer(string name, float[] values, long[] dims) =>
        Dtype == ElementType.Float16
            ? G.Initializer(name, Array.ConvertAll(values, v => (Half)v), dims)
            : G.Initializer(name, values, dims);

    /// <summary>A 0-d constant of the graph's element type.</summary>
    public Value F(float value) => G.Scalar(value, Dtype);

    /// <summary>A constant tensor of the graph's element type.</summary>
    public Value FloatConstant(float[] values, params long[] dims) =>
        Dtype == ElementType.Float16 ? G.Constant(Array.ConvertAll(values, v => (Half)v), dims) : G.Constant(values, dims);

    /// <summary>A 0-d int64 constant (torch writes Gather indices and shape arithmetic this way).</summary>
    public Value I(long value) => G.Constant([value]);

    /// <summary>A 1-d int64 constant.</summary>
    public Value Ints(params long[] values) => G.Ints(values);

    /// <summary><c>ConstantOfShape</c> filled with a value of <paramref name="type"/> (float, float16 or int64).</summary>
    public Value Filled(Value shape, double value, ElementType type)
    {
        var tensor = type switch
        {
            ElementType.Float => TensorProtos.Create<float>(string.Empty, [(float)value], [1]),
            ElementType.Float16 => TensorProtos.Create<Half>(string.Empty, [(Half)value], [1]),
            ElementType.Int64 => TensorProtos.Create<long>(string.Empty, [(long)value], [1]),
            _ => throw new ArgumentException($"ConstantOfShape of {ElementTypes.Name(type)} is not used by the zoo.", nameof(type)),
        };
        return G.Op("ConstantOfShape", [shape], Attr.Tensor("value", tensor));
    }

    /// <summary>The size of one axis as a 0-d int64 (<c>Shape → Gather</c>, as torch traces <c>x.shape[i]</c>).</summary>
    public Value Dim(Value x, long axis) => G.Gather(G.Shape(x), I(axis));

    /// <summary>A 0-d int64 as a 1-element vector, ready for a shape <c>Concat</c>.</summary>
    public Value Vec(Value scalar) => G.Unsqueeze(scalar, 0);

    /// <summary>A shape vector from 1-element parts.</summary>
    public Value ShapeOf(params Value[] parts) => G.Concat(0, parts);
}
