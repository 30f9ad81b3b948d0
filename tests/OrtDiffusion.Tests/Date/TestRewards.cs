using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;
using OrtDiffusion.Tests.TinyModels;

namespace OrtDiffusion.Tests.Date;

/// <summary>Rewards for gradient-method tests: the zoo's aesthetic reward, and a constant one.</summary>
internal static class TestRewards
{
    /// <summary>The zoo's LAION-aesthetic-style reward (image only), scored through its VJP graph.</summary>
    public static IReward Aesthetic(ZooFixture zoo) => RewardModel.Load(zoo.Layout.Rewards[RewardKind.Aesthetic]);
}

/// <summary>A reward whose value ignores the image: its gradient is exactly zero.</summary>
internal sealed class ConstantReward : IReward
{
    public string Name => "constant";

    public float[] Score(FloatTensor images, string prompt, CancellationToken cancellationToken = default) => Enumerable.Repeat(1f, images.BatchSize).ToArray();

    public RewardGradient ScoreWithGradient(FloatTensor images, string prompt, ReadOnlySpan<float> weights = default, CancellationToken cancellationToken = default) =>
        new(Score(images, prompt), FloatTensor.Zeros(images.Shape));

    public void Dispose()
    {
    }
}
