using OrtDiffusion.Imaging;
using OrtDiffusion.Models;
using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// The metrics of a run: reward folders scored on each final image (named as the papers' columns — CLIP,
/// Aesthetic, ImageReward, HPSv2 — from <c>reward.json</c>'s kind; a repeated kind gets <c>#2</c>, <c>#3</c>, …) and
/// the FID feature network. Scores are taken of the 8-bit image that is written to disk, so a metric can always be
/// recomputed from the PNG.
/// </summary>
internal sealed class MetricSet : IDisposable
{
    private readonly List<RewardModel> rewards;

    private MetricSet(IReadOnlyList<string> names, List<RewardModel> rewards, FidFeatureExtractor? fid)
    {
        Names = names;
        this.rewards = rewards;
        Fid = fid;
    }

    public IReadOnlyList<string> Names { get; }

    public FidFeatureExtractor? Fid { get; }

    /// <summary>The column names of the reward folders, read from their manifests only (nothing is loaded).</summary>
    public static IReadOnlyList<string> NamesOf(IReadOnlyList<string> rewardFolders)
    {
        var names = new List<string>();
        foreach (var folder in rewardFolders)
        {
            var name = DisplayName(RewardManifest.Load(folder).Kind);
            var count = names.Count(n => n == name || n.StartsWith(name + "#", StringComparison.Ordinal));
            names.Add(count == 0 ? name : $"{name}#{count + 1}");
        }

        return names;
    }

    /// <summary>The column name of a reward kind, as the papers' tables spell it.</summary>
    public static string DisplayName(RewardKind kind) => kind switch
    {
        RewardKind.Clip => "CLIP",
        RewardKind.Aesthetic => "Aesthetic",
        RewardKind.ImageReward => "ImageReward",
        RewardKind.HpsV2 => "HPSv2",
        _ => kind.ToString(),
    };

    public static MetricSet Load(IReadOnlyList<string> rewardFolders, string? fidModel, ExecutionOptions execution)
    {
        var names = NamesOf(rewardFolders);
        var rewards = new List<RewardModel>();
        try
        {
            foreach (var folder in rewardFolders)
            {
                rewards.Add(RewardModel.Load(folder, execution));
            }

            var fid = fidModel is null ? null : FidFeatureExtractor.Load(fidModel, execution);
            return new MetricSet(names, rewards, fid);
        }
        catch
        {
            foreach (var r in rewards)
            {
                r.Dispose();
            }

            throw;
        }
    }

    /// <summary>Every reward metric of <paramref name="image"/> for <paramref name="prompt"/>, and its FID features (null without FID).</summary>
    public (List<KeyValuePair<string, double>> Scores, float[]? Features) Measure(PixelImage image, string prompt, CancellationToken cancellation)
    {
        var tensor = new FloatTensor(ImageTensor.FromImage(image, ImageValueRange.ZeroToOne), 1, 3, image.Height, image.Width);
        var scores = new List<KeyValuePair<string, double>>(rewards.Count);
        for (var k = 0; k < rewards.Count; k++)
        {
            scores.Add(KeyValuePair.Create(Names[k], (double)rewards[k].Score(tensor, prompt, cancellation)[0]));
        }

        return (scores, Fid?.Extract(tensor, cancellation));
    }

    public void Dispose()
    {
        foreach (var r in rewards)
        {
            r.Dispose();
        }

        Fid?.Dispose();
    }
}
