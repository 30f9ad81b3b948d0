using BenchmarkDotNet.Attributes;
using OrtDiffusion.Date;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Benchmarks.PixArt;

/// <summary>
/// DATE on the zoo PixArt-α (64×64, DPM-Solver++ 20 steps, guidance 4.5, aesthetic reward) with 50% updates
/// (<c>--date-every 2</c>: steps 0, 2, …, 18) against the fixed embedding, and the cost of every model call an
/// update makes, so the floor can be computed: an update step replaces one batched CFG call by
/// 1 uncond forward + 1 cond recorded forward + 1 cond backward + 1 cond forward + decoder VJP + reward VJP, so
/// floor(DATE) = fixed + 10 · (those − batched call). The paper's PixArt ratio is 8.93 / 4.35 = 2.05×.
/// The backward's cost is "recorded forward + backward" minus "recorded forward". <see cref="Spinning"/> compares
/// ONNX Runtime's default spinning worker threads with idle workers that sleep (<see cref="ExecutionOptions.AllowSpinning"/>).
/// </summary>
[MemoryDiagnoser]
public class PixArtDateBenchmarks
{
    private const string Prompt = "a photo of a cat";

    private PixArtAlphaPipeline pipeline = null!;
    private IReward reward = null!;
    private GenerationRequest request = null!;
    private PixArtTransformer transformer = null!;
    private FloatTensor single = null!;
    private FloatTensor doubled = null!;
    private FloatTensor? singleMask;
    private FloatTensor? doubledMask;
    private FloatTensor latents = null!;
    private FloatTensor image = null!;
    private float[] sample = null!;
    private float[] sample2 = null!;
    private float[] noise = null!;
    private float[] noise2 = null!;
    private readonly long[] shape = [1, 4, 8, 8];
    private readonly long[] shape2 = [2, 4, 8, 8];

    /// <summary>ONNX Runtime's intra-op threads spin between runs (its default) or sleep.</summary>
    [Params(true, false)]
    public bool Spinning { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var options = ExecutionOptions.Default with { AllowSpinning = Spinning };
        pipeline = PixArtAlphaPipeline.Load(ZooFolder.Zoo.PixArt, options);
        reward = RewardModel.Load(ZooFolder.Zoo.Rewards[RewardKind.Aesthetic], options);
        request = pipeline.DefaultRequest with { Prompt = Prompt, Seed = 1 };
        transformer = pipeline.Model.Transformer;
        var e = pipeline.EncodePrompts(Prompt, string.Empty, 1);
        single = e.Conditional;
        singleMask = e.ConditionalMask;
        doubled = FloatTensor.Concat(e.Unconditional, e.Conditional);
        doubledMask = FloatTensor.Concat(e.UnconditionalMask!, e.ConditionalMask!);
        sample = new Randomness.TorchGenerator(2).Randn(1, 4, 8, 8);
        sample2 = [.. sample, .. sample];
        noise = new float[sample.Length];
        noise2 = new float[sample2.Length];
        latents = new FloatTensor((float[])sample.Clone(), shape);
        image = pipeline.Model.VaeDecoder.Decode(latents);
        for (var i = 0; i < image.Length; i++)
        {
            image.Data[i] = (image.Data[i] * 0.5f) + 0.5f;
        }

        // Open the VJP graphs and warm every path once.
        Date50();
        Fixed();
    }

    [Benchmark(Baseline = true, Description = "fixed embedding: 20 steps + decode")]
    public GenerationResult Fixed() => pipeline.Generate(request);

    [Benchmark(Description = "DATE every 2 (50% updates): 20 steps + decode")]
    public GenerationResult Date50() =>
        pipeline.Generate(request, new DateNoisePredictor(reward, pipeline.Decoder, Prompt, new DateOptions { Rho = 0.1f, Schedule = DateSchedule.Every(2) }));

    [Benchmark(Description = "call: batched CFG forward (B=2)")]
    public float BatchedForward()
    {
        transformer.Predict(sample2, shape2, 500f, doubled, doubledMask, noise2);
        return noise2[0];
    }

    [Benchmark(Description = "call: single forward (B=1; uncond or cond)")]
    public float SingleForward()
    {
        transformer.Predict(sample, shape, 500f, single, singleMask, noise);
        return noise[0];
    }

    [Benchmark(Description = "call: cond recorded forward")]
    public float RecordedForward()
    {
        using var record = transformer.PredictRecorded(sample, shape, 500f, single, singleMask, noise);
        return noise[0];
    }

    [Benchmark(Description = "call: cond recorded forward + backward")]
    public float RecordedForwardAndBackward()
    {
        using var record = transformer.PredictRecorded(sample, shape, 500f, single, singleMask, noise);
        return transformer.BackwardToHiddenStates(record, noise).Data[0];
    }

    [Benchmark(Description = "call: decoder VJP (recorded decode + backward)")]
    public float DecoderVjp()
    {
        var decoder = pipeline.Model.VaeDecoder;
        using var record = decoder.DecodeRecorded(latents, out var decoded);
        return decoder.BackwardToScaledLatents(record, decoded).Data[0];
    }

    [Benchmark(Description = "call: reward VJP")]
    public float RewardVjp() => reward.ScoreWithGradient(image, Prompt).ImageGradient.Data[0];

    [Benchmark(Description = "call: decode")]
    public float Decode() => pipeline.Model.VaeDecoder.Decode(latents).Data[0];

    [GlobalCleanup]
    public void Cleanup()
    {
        reward.Dispose();
        pipeline.Dispose();
    }
}
