using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.Rewards;

/// <summary>
/// The tiny zoo's four reward folders (seed 0, opset 17), written once for the "tiny rewards" collection. Their VJP
/// models are built beside them on first use, as in a real reward folder.
/// </summary>
public sealed class RewardZooFixture : IDisposable
{
    private readonly TempFolder folder = new("rewards");

    public RewardZooFixture()
    {
        foreach (var kind in TinyZoo.BuiltRewards)
        {
            Folders[kind] = TinyZoo.WriteReward(Path.Combine(folder.Path, TinyZoo.RewardFolderName(kind)), kind);
        }
    }

    public Dictionary<RewardKind, string> Folders { get; } = [];

    public string Root => folder.Path;

    public RewardModel Load(RewardKind kind) => RewardModel.Load(Folders[kind]);

    public void Dispose() => folder.Dispose();
}

[CollectionDefinition(Name)]
public sealed class RewardZooCollection : ICollectionFixture<RewardZooFixture>
{
    public const string Name = "tiny rewards";
}

/// <summary>Images and prompts shared by the reward tests.</summary>
internal static class RewardTestData
{
    /// <summary>The prompt the torch reference scores CLIP and HPSv2 with.</summary>
    public const string ClipPrompt = "a watercolor painting of a lighthouse at sunset";

    /// <summary>The ImageReward prompt of the torch reference: WordPieces (photo ##g … ##ing), accents and an unknown character.</summary>
    public const string ImageRewardPrompt = "A photographing of Sunflowers, caf\u00e9 \u2603!";

    /// <summary>The prompt each kind is scored with in the torch reference.</summary>
    public static string PromptFor(RewardKind kind) => kind == RewardKind.ImageReward ? ImageRewardPrompt : ClipPrompt;

    /// <summary>The torch reference's images: <c>wave((2,3,36,52), 0.017, 0.3, 0.45, 0.5)</c>.</summary>
    public static FloatTensor ReferenceImages() =>
        new(OrtDiffusion.Tests.TinyModels.TorchReference.Wave(2 * 3 * 36 * 52, 0.017, 0.3, 0.45, 0.5), 2, 3, 36, 52);

    /// <summary>Seeded uniform pixels in [0.05, 0.95] (away from the clip range so finite differences stay inside [0, 1]).</summary>
    public static FloatTensor Uniform(int batch, int height, int width, int seed)
    {
        var random = new Random(seed);
        var data = new float[batch * 3 * height * width];
        for (var i = 0; i < data.Length; i++)
        {
            data[i] = (float)(0.05 + (0.9 * random.NextDouble()));
        }

        return new FloatTensor(data, batch, 3, height, width);
    }

    public static TheoryData<RewardKind> Kinds => new() { RewardKind.Clip, RewardKind.Aesthetic, RewardKind.ImageReward, RewardKind.HpsV2 };
}
