using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;

namespace OrtDiffusion.Tests.Autodiff;

/// <summary>One operator gradient check: a graph, its inputs and which inputs are differentiated.</summary>
public sealed class OpCase
{
    private readonly Dictionary<string, object> inputs = new();
    private readonly List<string> wrt = [];
    private readonly Random rng;

    public OpCase(int opset, int seed = 11)
    {
        Builder = new GraphBuilder("case", opset);
        rng = new Random(seed);
    }

    public GraphBuilder Builder { get; }

    public IReadOnlyDictionary<string, object> Inputs => inputs;

    public IReadOnlyList<string> Wrt => wrt;

    public double Tolerance { get; set; } = 2e-3;

    public float Step { get; set; } = 3e-3f;

    /// <summary>A differentiated float input with values uniform in [low, high].</summary>
    public Value Var(string name, long[] shape, float low = -1f, float high = 1f, Dim[]? declared = null)
    {
        var n = shape.Aggregate(1L, (p, d) => p * d);
        var data = new float[n];
        for (var i = 0; i < n; i++)
        {
            data[i] = low + ((high - low) * (float)rng.NextDouble());
        }

        inputs[name] = new TestTensor(data, shape);
        wrt.Add(name);
        return Builder.Input(name, ElementType.Float, declared ?? [.. shape.Select(d => (Dim)d)]);
    }

    /// <summary>A float input that is not differentiated.</summary>
    public Value Const(string name, long[] shape, float low = -1f, float high = 1f)
    {
        var v = Var(name, shape, low, high);
        wrt.Remove(name);
        return v;
    }

    /// <summary>An int64 input fed at run time.</summary>
    public Value IntInput(string name, long[] data, long[] shape, Dim[]? declared = null)
    {
        inputs[name] = (data, shape);
        return Builder.Input(name, ElementType.Int64, declared ?? [.. shape.Select(d => (Dim)d)]);
    }
}
