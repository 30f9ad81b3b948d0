using BenchmarkDotNet.Attributes;
using OrtDiffusion.Models;
using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Benchmarks.Rewards;

/// <summary>
/// The tiny CLIP reward on one 64×64 image: a forward call (<see cref="RewardModel.Score"/>, <c>model.onnx</c>) against a
/// gradient call (<see cref="RewardModel.ScoreWithGradient"/>, one run of the combined VJP model). The ratio is the
/// cost of the backward pass relative to the forward one; the text side is cached after the first call of each.
/// </summary>
[MemoryDiagnoser]
public class RewardVjpBenchmarks
{
    private const string Prompt = "a photo of a cat";
    private string _folder = null!;
    private RewardModel _reward = null!;
    private FloatTensor _images = null!;

    /// <summary>Writes the tiny CLIP reward, opens it, builds the VJP model and warms both paths once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _folder = Path.Combine(Path.GetTempPath(), $"ortdiffusion-bench-clip-{Environment.ProcessId}");
        TinyZoo.WriteReward(_folder, RewardKind.Clip);
        _reward = RewardModel.Load(_folder, new ExecutionOptions { IntraOpThreads = 1 });
        var data = new float[3 * 64 * 64];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = 0.5f + (0.4f * MathF.Sin(0.013f * i));
        }

        _images = new FloatTensor(data, 1, 3, 64, 64);
        _reward.PrepareGradient();
        Forward();
        Vjp();
    }

    /// <summary>Scores the image.</summary>
    [Benchmark(Baseline = true)]
    public float[] Forward() => _reward.Score(_images, Prompt);

    /// <summary>Scores the image and returns its gradient.</summary>
    [Benchmark]
    public RewardGradient Vjp() => _reward.ScoreWithGradient(_images, Prompt);

    /// <summary>Releases the sessions and the folder.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        _reward.Dispose();
        Directory.Delete(_folder, recursive: true);
    }
}
