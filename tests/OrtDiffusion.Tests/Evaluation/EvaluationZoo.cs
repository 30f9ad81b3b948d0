using OrtDiffusion.Evaluation;
using OrtDiffusion.Imaging;
using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.Evaluation;

/// <summary>
/// A tiny zoo, a two-prompt CSV, four reference PNGs and one uninterrupted, unsharded run (fixed and DATE, seed 3,
/// CLIP and ImageReward metrics, FID with the tiny network: 4 items) that the sharded and resumed runs are compared with.
/// </summary>
public sealed class EvaluationZoo : IDisposable
{
    private readonly TempFolder folder = new("eval");
    private readonly Lazy<EvaluationRunResult> baseline;

    public EvaluationZoo()
    {
        Zoo = TinyZoo.WriteAll(folder.File("zoo"));
        PromptFile = folder.File("prompts.csv");
        File.WriteAllText(PromptFile, "id,caption\n1,\"a photo of a cat, sitting\"\n2,a red car on a street\n");
        ReferenceFolder = folder.File("reference");
        Directory.CreateDirectory(ReferenceFolder);
        for (var k = 0; k < 4; k++)
        {
            PngWriter.Write(Path.Combine(ReferenceFolder, $"ref-{k}.png"), Pattern(64, 64, k));
        }

        baseline = new(() => new EvaluationRunner(Settings(NewFolder("baseline"))).Run());
    }

    public TinyZooLayout Zoo { get; }

    public string PromptFile { get; }

    public string ReferenceFolder { get; }

    public string Clip => Zoo.Rewards[RewardKind.Clip];

    /// <summary>The uninterrupted, unsharded run.</summary>
    public EvaluationRunResult Baseline => baseline.Value;

    public string NewFolder(string name) => folder.File($"{name}-{Guid.NewGuid():N}");

    public EvaluationSettings Settings(string output, ShardSpec? shard = null) => new()
    {
        ModelFolder = Zoo.StableDiffusion,
        Prompts = OrtDiffusion.Evaluation.PromptFile.Read(PromptFile),
        PromptSource = PromptFile,
        Methods = ["fixed", $"date:reward={Clip},every=2,rho=0.5,label=date"],
        Seeds = [3],
        MetricRewards = [Clip, Zoo.Rewards[RewardKind.ImageReward]],
        FidModel = Zoo.Fid,
        FidReference = ReferenceFolder,
        Steps = 4,
        Scheduler = "ddim",
        Width = 64,
        Height = 64,
        Shard = shard ?? ShardSpec.Whole,
        OutputFolder = output,
    };

    public void Dispose() => folder.Dispose();

    // Smooth colour gradients, a different phase per image.
    private static PixelImage Pattern(int width, int height, int phase)
    {
        var pixels = new byte[width * height * 3];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var i = ((y * width) + x) * 3;
                pixels[i] = (byte)(127 + (127 * Math.Sin((x + (9 * phase)) / 7.0)));
                pixels[i + 1] = (byte)(127 + (127 * Math.Cos((y - (5 * phase)) / 5.0)));
                pixels[i + 2] = (byte)((x + y + (40 * phase)) % 256);
            }
        }

        return new PixelImage(width, height, PixelFormat.Rgb, pixels);
    }
}

[CollectionDefinition(Name)]
public sealed class EvaluationZooCollection : ICollectionFixture<EvaluationZoo>
{
    public const string Name = "evaluation zoo";
}
