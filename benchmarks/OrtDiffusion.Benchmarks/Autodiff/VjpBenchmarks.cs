using BenchmarkDotNet.Attributes;
using OrtDiffusion.Models;
using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Autodiff;
using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Benchmarks.Autodiff;

/// <summary>
/// The cost of the zoo UNet's VJP relative to its forward call (batch 1, 8×8, 77 tokens, w.r.t. the text
/// embeddings as DATE needs): the combined VJP graph, and the split pair (recorded forward, then backward).
/// Also the time to build the VJP graph from the forward graph.
/// </summary>
[MemoryDiagnoser]
public class VjpBenchmarks
{
    private UNetModel unet = null!;
    private InferenceSession combined = null!;
    private DifferentiableModel split = null!;
    private float[] sample = null!;
    private float[] noise = null!;
    private FloatTensor text = null!;
    private Dictionary<string, OrtValue> combinedFeeds = null!;
    private OrtValue cotangent = null!;
    private OnnxModel forwardGraph = null!;
    private readonly long[] shape = [1, 4, 8, 8];

    [GlobalSetup]
    public void Setup()
    {
        var path = ZooFolder.Model("unet");
        unet = new UNetModel(path, ExecutionOptions.Default);
        split = unet.Differentiable("encoder_hidden_states");
        combined = new InferenceSession(VjpCache.GetOrBuild(path, "out_sample", ["encoder_hidden_states"]));
        forwardGraph = OnnxModel.Load(path);
        var rng = new Random(2);
        sample = [.. Enumerable.Range(0, 4 * 8 * 8).Select(_ => (float)rng.NextDouble())];
        noise = new float[sample.Length];
        text = new FloatTensor([.. Enumerable.Range(0, 77 * 32).Select(_ => (float)rng.NextDouble())], 1, 77, 32);
        var cotangentData = Enumerable.Range(0, sample.Length).Select(_ => (float)rng.NextDouble()).ToArray();
        cotangent = OrtValue.CreateTensor(cotangentData, shape);
        combinedFeeds = new Dictionary<string, OrtValue>
        {
            ["sample"] = OrtValue.CreateTensor(sample, shape),
            ["timestep"] = OrtValue.CreateTensor(new long[] { 500 }, [1]),
            ["encoder_hidden_states"] = OrtValue.CreateTensor(text.Data, text.Shape),
            ["out_sample_grad"] = cotangent,
        };
    }

    [Benchmark(Baseline = true, Description = "UNet forward")]
    public void Forward() => unet.Predict(sample, shape, 500f, text, noise);

    [Benchmark(Description = "UNet combined VJP (forward + backward, one call)")]
    public float CombinedVjp()
    {
        using var outputs = combined.Run(combinedFeeds);
        return outputs[1].GetTensorReadOnlySpan<float>()[0];
    }

    [Benchmark(Description = "UNet split VJP (recorded forward, then backward)")]
    public float SplitVjp()
    {
        using var record = unet.PredictRecorded(split, sample, shape, 500f, text, noise);
        using var gradients = split.Backward(record, cotangent);
        return gradients[0].GetTensorReadOnlySpan<float>()[0];
    }

    [Benchmark(Description = "build the UNet VJP graph")]
    public int BuildVjpGraph() => VjpBuilder.Build(forwardGraph, "out_sample", ["encoder_hidden_states"]).Statistics.BackwardNodes;

    [GlobalCleanup]
    public void Cleanup()
    {
        unet.Dispose();
        combined.Dispose();
        foreach (var v in combinedFeeds.Values)
        {
            v.Dispose();
        }
    }
}
