using BenchmarkDotNet.Attributes;
using OrtDiffusion.Date;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Benchmarks.Date;

/// <summary>
/// DATE against the fixed embedding at 50 DDIM steps on the zoo (64×64, CFG 7.5, CLIP-score reward), and the
/// cost of every model call an update makes, so the floor — 1 uncond forward + 1 cond recorded forward + 1 cond
/// backward + 1 cond forward + decoder VJP + reward VJP per update, batched CFG calls elsewhere — can be
/// computed from the same run: floor(U) = (50 − U)·guided + U·(single·2 + unet VJP + decoder VJP + reward VJP) + decode.
/// </summary>
[MemoryDiagnoser]
public class DateBenchmarks
{
    private StableDiffusionPipeline pipeline = null!;
    private IReward reward = null!;
    private GenerationRequest request = null!;
    private FloatTensor text1 = null!;
    private FloatTensor text2 = null!;
    private FloatTensor latents = null!;
    private FloatTensor image = null!;
    private float[] sample1 = null!;
    private float[] sample2 = null!;
    private float[] noise1 = null!;
    private float[] noise2 = null!;
    private DifferentiableModel unetVjp = null!;
    private readonly long[] shape1 = [1, 4, 8, 8];
    private readonly long[] shape2 = [2, 4, 8, 8];

    [GlobalSetup]
    public void Setup()
    {
        var zoo = ZooFolder.Zoo;
        pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        reward = RewardModel.Load(zoo.Rewards[RewardKind.Clip]);
        request = new GenerationRequest { Prompt = "a photo of a cat", Steps = 50, Width = 64, Height = 64, Scheduler = "ddim", Seed = 1, GuidanceScale = 7.5f };
        var embeddings = pipeline.EncodePrompts(request.Prompt, string.Empty, 1);
        text1 = embeddings.Conditional;
        text2 = FloatTensor.Concat(embeddings.Unconditional, embeddings.Conditional);
        sample1 = new float[256];
        sample2 = new float[512];
        noise1 = new float[256];
        noise2 = new float[512];
        latents = FloatTensor.Zeros(shape1);
        image = new FloatTensor([.. Enumerable.Repeat(0.5f, 3 * 64 * 64)], 1, 3, 64, 64);
        unetVjp = pipeline.Model.Unet.Differentiable("encoder_hidden_states");

        // Warm every session (VJP graphs built and cached, sessions opened) before measuring.
        Date(10);
    }

    [Benchmark(Baseline = true, Description = "fixed embedding, 50 steps")]
    public GenerationResult Fixed() => pipeline.Generate(request);

    [Benchmark(Description = "DATE every 10 (5 updates)")]
    public GenerationResult DateEvery10() => Date(10);

    [Benchmark(Description = "DATE every step (50 updates)")]
    public GenerationResult DateEvery1() => Date(1);

    [Benchmark(Description = "call: UNet batched CFG (batch 2)")]
    public void UnetGuided() => pipeline.Model.Unet.Predict(sample2, shape2, 500f, text2, noise2);

    [Benchmark(Description = "call: UNet single (batch 1)")]
    public void UnetSingle() => pipeline.Model.Unet.Predict(sample1, shape1, 500f, text1, noise1);

    [Benchmark(Description = "call: UNet VJP (recorded forward + backward)")]
    public float UnetVjp()
    {
        using var record = pipeline.Model.Unet.PredictRecorded(unetVjp, sample1, shape1, 500f, text1, noise1);
        using var cotangent = pipeline.Model.Unet.CreateSampleTensor(noise1, shape1);
        using var gradient = unetVjp.Backward(record, cotangent);
        return gradient[0].GetTensorReadOnlySpan<float>()[0];
    }

    [Benchmark(Description = "call: VAE decoder VJP (recorded forward + backward)")]
    public FloatTensor DecoderVjp()
    {
        using var record = pipeline.Model.VaeDecoder.DecodeRecorded(latents, out var decoded);
        return pipeline.Model.VaeDecoder.BackwardToScaledLatents(record, decoded);
    }

    [Benchmark(Description = "call: reward VJP")]
    public RewardGradient RewardVjp() => reward.ScoreWithGradient(image, request.Prompt);

    [Benchmark(Description = "call: VAE decode")]
    public FloatTensor Decode() => pipeline.Model.VaeDecoder.Decode(latents);

    [GlobalCleanup]
    public void Cleanup()
    {
        reward.Dispose();
        pipeline.Dispose();
    }

    private GenerationResult Date(int every)
    {
        var date = new DateNoisePredictor(reward, pipeline.Model.VaeDecoder, request.Prompt, new DateOptions { Rho = 0.5f, Schedule = DateSchedule.Every(every) });
        return pipeline.Generate(request, date);
    }
}
