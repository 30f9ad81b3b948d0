using OrtDiffusion.Onnx;
using OrtDiffusion.Runtime;

namespace OrtDiffusion.Tests;

/// <summary>A float tensor for tests: data and shape.</summary>
internal sealed record TestTensor(float[] Data, long[] Shape)
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
                    TensorElementType.Int64 => Array.ConvertAll(v.ToArray<long>(), l => (float)l),
                    _ => throw new InvalidOperationException($"Unsupported output type {v.ElementType}"),
                };
                map[results.Names[i]] = new TestTensor(data, v.Shape.ToArray());
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
