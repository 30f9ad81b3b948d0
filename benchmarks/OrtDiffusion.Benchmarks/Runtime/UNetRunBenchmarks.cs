using BenchmarkDotNet.Attributes;
using OrtDiffusion.Models;
using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Benchmarks.Runtime;

/// <summary>
/// One zoo UNet call (CFG batch 2, 8×8 latents, 77 tokens) through our binding: the hot path with preallocated
/// buffers (<see cref="UNetModel.Predict"/>) and the convenient dictionary <c>Run</c>. Allocated bytes per call come
/// from the memory diagnoser.
/// </summary>
[MemoryDiagnoser]
public class UNetRunBenchmarks
{
    private UNetModel unet = null!;
    private InferenceSession session = null!;
    private float[] sample = null!;
    private float[] noise = null!;
    private FloatTensor text = null!;
    private Dictionary<string, OrtValue> feeds = null!;
    private readonly long[] shape = [2, 4, 8, 8];

    [GlobalSetup]
    public void Setup()
    {
        var path = ZooFolder.Model("unet");
        unet = new UNetModel(path, ExecutionOptions.Default);
        session = ExecutionOptions.Default.OpenSession(path); // same session options (no spinning) as the model wrapper
        var rng = new Random(1);
        sample = [.. Enumerable.Range(0, 2 * 4 * 8 * 8).Select(_ => (float)rng.NextDouble())];
        noise = new float[sample.Length];
        text = new FloatTensor([.. Enumerable.Range(0, 2 * 77 * 32).Select(_ => (float)rng.NextDouble())], 2, 77, 32);
        feeds = new Dictionary<string, OrtValue>
        {
            ["sample"] = OrtValue.CreateTensor(sample, shape),
            ["timestep"] = OrtValue.CreateTensor(new long[] { 500, 500 }, [2]),
            ["encoder_hidden_states"] = OrtValue.CreateTensor(text.Data, text.Shape),
        };
    }

    [Benchmark(Baseline = true, Description = "UNet.Predict (preallocated)")]
    public void Predict() => unet.Predict(sample, shape, 500f, text, noise);

    [Benchmark(Description = "InferenceSession.Run (dictionary)")]
    public float RunDictionary()
    {
        using var outputs = session.Run(feeds);
        return outputs[0].GetTensorReadOnlySpan<float>()[0];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        unet.Dispose();
        session.Dispose();
        foreach (var v in feeds.Values)
        {
            v.Dispose();
        }
    }
}
