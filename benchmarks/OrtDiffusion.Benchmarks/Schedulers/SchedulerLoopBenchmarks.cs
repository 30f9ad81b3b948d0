using BenchmarkDotNet.Attributes;
using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Benchmarks.Schedulers;

/// <summary>
/// A 50-step denoising loop of each scheduler on a 4×64×64 latent (Stable Diffusion v1.5 at
/// 512×512, batch 1) with a constant fake model output: the scheduler's own cost per image.
/// </summary>
[MemoryDiagnoser]
public class SchedulerLoopBenchmarks
{
    private const int Length = 4 * 64 * 64;

    private readonly float[] _sample = new float[Length];
    private readonly float[] _input = new float[Length];
    private readonly float[] _modelOutput = new float[Length];
    private readonly float[] _predictedOriginal = new float[Length];
    private IScheduler _scheduler = null!;

    /// <summary>The CLI scheduler name.</summary>
    [Params("ddim", "pndm", "lms", "euler", "dpm++")]
    public string Scheduler { get; set; } = "ddim";

    /// <summary>Builds the scheduler and sizes its buffers with one untimed run.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _scheduler = SchedulerFactory.Create(Scheduler, SchedulerConfig.StableDiffusion15);
        _scheduler.SetTimesteps(50);
        for (var i = 0; i < Length; i++)
        {
            _modelOutput[i] = 0.01f * MathF.Sin(i);
        }

        Run50Steps();
    }

    /// <summary>One full run: scale the input and step, for every timestep (51 calls for PNDM).</summary>
    [Benchmark]
    public float Run50Steps()
    {
        _scheduler.Reset();
        Array.Fill(_sample, 1f);
        var timesteps = _scheduler.Timesteps;
        for (var i = 0; i < timesteps.Count; i++)
        {
            _scheduler.ScaleModelInput(_sample, _input, i);
            _scheduler.Step(_modelOutput, i, _sample, _sample, _predictedOriginal);
        }

        return _sample[0];
    }
}
