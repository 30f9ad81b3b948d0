using BenchmarkDotNet.Attributes;
using OrtDiffusion.Evaluation;
using OrtDiffusion.Rewards;

namespace OrtDiffusion.Benchmarks.Evaluation;

/// <summary>
/// <c>ortdiff eval</c> on the zoo (64×64, DDIM 20 steps, CFG 7.5; 2 prompts × 4 seeds = 8 images per method; CLIP
/// score metric and FID with the tiny network): a whole run per invocation — opening the model, rewards and FID
/// network, generating, scoring, writing PNGs, features, results.jsonl, statistics and the summary — reported per
/// image (OperationsPerInvoke = 8, so Op/s is images per second). Merge: 3 finished shards of fixed + DATE with FID.
/// </summary>
[MemoryDiagnoser]
public class EvalBenchmarks
{
    private const int ImagesPerRun = 8;

    private readonly string root = Path.Combine(Path.GetTempPath(), "ortdiffusion-bench", $"eval-{Environment.ProcessId}");
    private string prompts = null!;
    private string output = null!;
    private List<string> shards = null!;

    [GlobalSetup]
    public void Setup()
    {
        Directory.CreateDirectory(root);
        prompts = Path.Combine(root, "prompts.txt");
        File.WriteAllText(prompts, "a photo of a cat\na red car on a street\n");
        shards = [.. Enumerable.Range(0, 3).Select(i => Path.Combine(root, $"shard-{i}"))];
        for (var i = 0; i < 3; i++)
        {
            new EvaluationRunner(Settings(shards[i], ["fixed", DateMethod], new ShardSpec(i, 3))).Run();
        }
    }

    [IterationSetup]
    public void FreshOutput() => output = Path.Combine(root, $"out-{Guid.NewGuid():N}");

    [Benchmark(Baseline = true, OperationsPerInvoke = ImagesPerRun, Description = "eval fixed, per image")]
    public EvaluationRunResult Fixed() => new EvaluationRunner(Settings(output, ["fixed"])).Run();

    [Benchmark(OperationsPerInvoke = ImagesPerRun, Description = "eval DATE every 10 (2 updates), per image")]
    public EvaluationRunResult Date() => new EvaluationRunner(Settings(output, [DateMethod])).Run();

    [Benchmark(Description = "eval merge, 3 shards × 16 items with FID")]
    public MergeResult Merge() => EvaluationMerger.Merge(shards, output);

    [GlobalCleanup]
    public void Cleanup()
    {
        try
        {
            Directory.Delete(root, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string DateMethod => $"date:reward={ZooFolder.Zoo.Rewards[RewardKind.Clip]},every=10,rho=0.5,label=date";

    private EvaluationSettings Settings(string folder, string[] methods, ShardSpec? shard = null) => new()
    {
        ModelFolder = ZooFolder.StableDiffusion,
        Prompts = PromptFile.Read(prompts),
        Methods = methods,
        Seeds = [0, 1, 2, 3],
        MetricRewards = [ZooFolder.Zoo.Rewards[RewardKind.Clip]],
        FidModel = ZooFolder.Zoo.Fid,
        Steps = 20,
        Scheduler = "ddim",
        Width = 64,
        Height = 64,
        Shard = shard ?? ShardSpec.Whole,
        OutputFolder = folder,
    };
}
