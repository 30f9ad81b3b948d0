using OrtDiffusion.Onnx;
using OrtDiffusion.Runtime;

namespace OrtDiffusion.Tests;

/// <summary>A float tensor for tests: data and shape.</summary>
internal record TestTensor(float[] Data, long[] Shape)
{
    public static TestTensor Random(Random rng, float scale, params long[] shape)
    {
        var n = shape.Aggregate(1L, (p, d) => p * d);
        var data = new float[n];
        for (var i = 0; i < n; i++)
        {
            data[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        }

        return new TestTensor(data, shape);
    }

    public TestTensor With(float[] data) => new(data, Shape);
}

/// <summary>A non-float tensor carried through unchanged (e.g. an int64 residual between split models).</summary>
internal sealed record RawTensor : TestTensor
{
    public RawTensor(OrtValue value)
        : base([], value.Shape.ToArray())
    {
        Type = value.ElementType;
        Bytes = value.ElementType switch
        {
            TensorElementType.Int64 => value.ToArray<long>(),
            TensorElementType.Int32 => value.ToArray<int>(),
            TensorElementType.Bool => value.ToArray<bool>(),
            var t => throw new InvalidOperationException($"Unsupported output type {t}"),
        };
    }

    public TensorElementType Type { get; }

    public Array Bytes { get; }

    public OrtValue ToOrtValue() => Bytes switch
    {
        long[] l => OrtValue.CreateTensor(l, Shape),
        int[] i => OrtValue.CreateTensor(i, Shape),
        bool[] b => OrtValue.CreateTensor(b, Shape),
        _ => throw new InvalidOperationException(),
    };
}

/// <summary>Runs ONNX models in ONNX Runtime from tests: save to a temp folder, open a session, run.</summary>
internal sealed class OrtRunner : IDisposable
{
    private readonly InferenceSession session;

    public OrtRunner(string path)
    {
        Path = path;
        session = new InferenceSession(path, new SessionOptions { IntraOpThreads = 1 });
    }

    public string Path { get; }

    public InferenceSession Session => session;

    public static OrtRunner FromModel(OnnxModel model, TempFolder folder, string name)
    {
        var path = folder.File(name);
        model.Save(path);
        return new OrtRunner(path);
    }

    /// <summary>Runs with float, int64 or int32 inputs and returns every requested output as float.</summary>
    public Dictionary<string, TestTensor> Run(IReadOnlyDictionary<string, object> inputs, params string[] outputs)
    {
        var values = new Dictionary<string, OrtValue>();
        try
        {
            foreach (var (name, value) in inputs)
            {
                values[name] = value switch
                {
                    RawTensor r => r.ToOrtValue(),
                    TestTensor t => OrtValue.CreateTensor(t.Data, t.Shape),
                    (long[] data, long[] shape) => OrtValue.CreateTensor(data, shape),
                    (int[] data, long[] shape) => OrtValue.CreateTensor(data, shape),
                    _ => throw new ArgumentException($"Unsupported test input {value.GetType()}"),
                };
            }

            using var results = session.Run(values, outputs.Length == 0 ? null : outputs);
            var map = new Dictionary<string, TestTensor>();
            for (var i = 0; i < results.Count; i++)
            {
                var v = results[i];
                var data = v.ElementType switch
                {
                    TensorElementType.Float => v.ToArray<float>(),
                    TensorElementType.Float16 => Array.ConvertAll(v.ToArray<Half>(), h => (float)h),
                    _ => [],
                };
                map[results.Names[i]] = v.ElementType is TensorElementType.Float or TensorElementType.Float16
                    ? new TestTensor(data, v.Shape.ToArray())
                    : new RawTensor(v);
            }

            return map;
        }
        finally
        {
            foreach (var v in values.Values)
            {
                v.Dispose();
            }
        }
    }

    public void Dispose() => session.Dispose();
}
