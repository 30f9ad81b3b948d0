using BenchmarkDotNet.Attributes;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Benchmarks.Pipelines;

/// <summary>
/// The zoo pipeline at 50 DDIM steps (64×64, CFG 7.5), against exactly the ONNX Runtime work it contains
/// (50 batched UNet calls and one VAE decode through the same components): the ratio minus one is the share of
/// wall time spent outside ORT (text encoding is cached after the first run and excluded from both).
/// </summary>
[MemoryDiagnoser]
public class PipelineBenchmarks
{
    private StableDiffusionPipeline pipeline = null!;
    private GenerationRequest request = null!;
    private float[] doubled = null!;
    private float[] noise = null!;
    private FloatTensor text = null!;
    private FloatTensor latents = null!;
    private readonly long[] shape = [2, 4, 8, 8];

    [GlobalSetup]
    public void Setup()
    {
        pipeline = StableDiffusionPipeline.Load(ZooFolder.StableDiffusion);
        request = new GenerationRequest { Prompt = "a photo of a cat", Steps = 50, Width = 64, Height = 64, Scheduler = "ddim", Seed = 1 };
        var embeddings = pipeline.EncodePrompts(request.Prompt, string.Empty, 1);
        text = FloatTensor.Concat(embeddings.Unconditional, embeddings.Conditional);
        doubled = new float[2 * 4 * 8 * 8];
        noise = new float[doubled.Length];
        latents = FloatTensor.Zeros(1, 4, 8, 8);
        pipeline.Generate(request);
    }

    [Benchmark(Description = "pipeline: 50 DDIM steps + decode")]
    public GenerationResult Generate() => pipeline.Generate(request);

    [Benchmark(Baseline = true, Description = "ORT work only: 50 UNet calls + decode")]
    public FloatTensor ModelCallsOnly()
    {
        var timesteps = pipeline.CreateScheduler("ddim", 50).Timesteps;
        for (var i = 0; i < 50; i++)
        {
            pipeline.Model.Unet.Predict(doubled, shape, timesteps[i], text, noise);
        }

        return pipeline.Model.VaeDecoder.Decode(latents);
    }

    [GlobalCleanup]
    public void Cleanup() => pipeline.Dispose();
}
