using BenchmarkDotNet.Attributes;
using OrtDiffusion.Ipgo;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Benchmarks.Ipgo;

/// <summary>
/// One IPGO training epoch on the tiny zoo with the paper's sampling (LMS, 50 steps, CFG 7.5), 10 + 10 tokens, K = 16,
/// the aesthetic reward: 50 UNet calls (the last K_t recorded), the backward through the last K_t steps, the decoder
/// and the reward, the token module's derivatives and one Adam step. The share of the epoch spent inside ONNX Runtime
/// (UNet, decoder, reward; forward and backward) is printed at the end of each case.
/// </summary>
[MemoryDiagnoser]
public class IpgoEpochBenchmarks
{
    private string folder = null!;
    private StableDiffusionPipeline pipeline = null!;
    private IReward reward = null!;
    private IpgoTrainer trainer = null!;
    private IpgoTokens tokens = null!;
    private TimeSpan elapsed;
    private TimeSpan modelTime;

    /// <summary>Image side in pixels.</summary>
    [Params(64, 256)]
    public int Size { get; set; }

    /// <summary>Sampling steps the gradient flows through.</summary>
    [Params(1, 2)]
    public int Truncate { get; set; }

    /// <summary>Writes the zoo, opens the model and the reward, and runs one untimed epoch (builds the VJP graphs).</summary>
    [GlobalSetup]
    public void Setup()
    {
        folder = Path.Combine(Path.GetTempPath(), "ortdiffusion-bench-ipgo");
        var zoo = TinyZoo.WriteAll(folder);
        pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        reward = RewardModel.Load(zoo.Rewards[RewardKind.Aesthetic]);
        trainer = new IpgoTrainer(pipeline, reward);
        tokens = trainer.CreateTokens(IpgoOptions.ForTextWidth(32) with { Width = Size, Height = Size, Truncate = Truncate, Epochs = 1 }, ["a photo of a cat"]);
        trainer.Train(tokens);
        elapsed = modelTime = TimeSpan.Zero;
    }

    /// <summary>One epoch.</summary>
    [Benchmark]
    public double Epoch()
    {
        tokens.ContinueTo(tokens.History.EpochsDone + 1);
        var result = trainer.Train(tokens);
        elapsed += result.Elapsed;
        modelTime += result.ModelTime;
        return result.Rewards[^1];
    }

    /// <summary>Prints the model-call share and closes everything.</summary>
    [GlobalCleanup]
    public void Cleanup()
    {
        Console.WriteLine($"// IPGO epoch {Size}px K_t={Truncate}: {tokens.History.EpochsDone} epochs, model calls {modelTime.TotalMilliseconds:F0} ms of {elapsed.TotalMilliseconds:F0} ms = {modelTime / elapsed:P1}; reward {tokens.History.InitialReward:F5} → {tokens.History.EpochRewards[^1]:F5}");
        reward.Dispose();
        pipeline.Dispose();
    }
}
