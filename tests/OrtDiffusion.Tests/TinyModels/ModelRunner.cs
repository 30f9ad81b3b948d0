using OrtDiffusion.Runtime;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>A tensor read back from ONNX Runtime: values as float (float16 widened) and the shape.</summary>
internal sealed record Tensor(float[] Values, long[] Shape, TensorElementType Type)
{
    public double Rms() => Math.Sqrt(Values.Sum(v => (double)v * v) / Values.Length);

    public double Std()
    {
        var mean = Values.Average(v => (double)v);
        return Math.Sqrt(Values.Sum(v => ((double)v - mean) * (v - mean)) / Values.Length);
    }

    public bool AllFinite() => Values.All(float.IsFinite);

    public static double RmsDifference(Tensor a, Tensor b)
    {
        Assert.Equal(a.Shape, b.Shape);
        var sum = 0.0;
        for (var i = 0; i < a.Values.Length; i++)
        {
            sum += ((double)a.Values[i] - b.Values[i]) * (a.Values[i] - b.Values[i]);
        }

        return Math.Sqrt(sum / a.Values.Length);
    }
}

/// <summary>Runs one model in ONNX Runtime (CPU) with inputs given as arrays.</summary>
internal sealed class ModelRunner : IDisposable
{
    private readonly InferenceSession session;
    private readonly Dictionary<string, OrtValue> inputs = new(StringComparer.Ordinal);

    public ModelRunner(string path) => session = new InferenceSession(path);

    public InferenceSession Session => session;

    public ModelRunner Float(string name, float[] values, params long[] shape) => Add(name, OrtValue.CreateTensor(values, shape));

    public ModelRunner Half(string name, float[] values, params long[] shape) => Add(name, OrtValue.CreateTensor(Array.ConvertAll(values, v => (Half)v), shape));

    /// <summary>A float input in the element type the model declares for it (float or float16).</summary>
    public ModelRunner Floating(string name, float[] values, params long[] shape) =>
        session.GetInput(name).ElementType == TensorElementType.Float16 ? Half(name, values, shape) : Float(name, values, shape);

    public ModelRunner Int64(string name, long[] values, params long[] shape) => Add(name, OrtValue.CreateTensor(values, shape));

    public ModelRunner Int32(string name, int[] values, params long[] shape) => Add(name, OrtValue.CreateTensor(values, shape));

    /// <summary>Token ids in the element type the model declares (int32 or int64).</summary>
    public ModelRunner Ids(string name, int[] values, params long[] shape) =>
        session.GetInput(name).ElementType == TensorElementType.Int32 ? Int32(name, values, shape) : Int64(name, Array.ConvertAll(values, v => (long)v), shape);

    /// <summary>Runs with the inputs added so far (then forgets them) and returns every output.</summary>
    public Dictionary<string, Tensor> Run()
    {
        try
        {
            using var outputs = session.Run(inputs);
            var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
            for (var i = 0; i < outputs.Count; i++)
            {
                var value = outputs[i];
                var values = value.ElementType switch
                {
                    TensorElementType.Float => value.ToArray<float>(),
                    TensorElementType.Float16 => Array.ConvertAll(value.ToArray<Half>(), h => (float)h),
                    var t => throw new InvalidOperationException($"Output {outputs.Names[i]} is {t}, not a float type."),
                };
                result[outputs.Names[i]] = new Tensor(values, value.Shape.ToArray(), value.ElementType);
            }

            return result;
        }
        finally
        {
            foreach (var v in inputs.Values)
            {
                v.Dispose();
            }

            inputs.Clear();
        }
    }

    public void Dispose()
    {
        foreach (var v in inputs.Values)
        {
            v.Dispose();
        }

        session.Dispose();
    }

    private ModelRunner Add(string name, OrtValue value)
    {
        inputs[name] = value;
        return this;
    }
}

/// <summary>Deterministic test data.</summary>
internal static class TestData
{
    /// <summary>Standard normal values from a seeded <see cref="Random"/> (any fixed data will do).</summary>
    public static float[] Normal(int count, int seed)
    {
        var random = new Random(seed);
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            values[i] = (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }

        return values;
    }

    /// <summary>Uniform values in [0, 1), like an image.</summary>
    public static float[] Uniform(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => (float)random.NextDouble()).ToArray();
    }
}
