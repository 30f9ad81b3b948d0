using OrtDiffusion.Rewards;

namespace OrtDiffusion.Tests.Rewards;

/// <summary>A weighted sum is the sum of its weighted terms, in scores and in gradients.</summary>
[Collection(RewardZooCollection.Name)]
public sealed class WeightedRewardTests(RewardZooFixture zoo)
{
    [Fact]
    public void Score_and_gradient_are_the_weighted_sums_of_the_terms()
    {
        var images = RewardTestData.Uniform(2, 30, 44, 21);
        const string prompt = "a painting of a mountain lake";
        float[] weights = [1f, -2f];
        var kinds = new (RewardKind Kind, float Weight)[] { (RewardKind.Clip, 1f), (RewardKind.Aesthetic, 0.05f), (RewardKind.ImageReward, 0.5f), (RewardKind.HpsV2, -2f) };

        // Each term on its own, combined here by hand.
        var expectedScores = new double[2];
        var expectedGradient = new double[images.Length];
        foreach (var (kind, w) in kinds)
        {
            using var single = zoo.Load(kind);
            var part = single.ScoreWithGradient(images, prompt, weights);
            for (var b = 0; b < 2; b++)
            {
                expectedScores[b] += w * part.Scores[b];
            }

            for (var i = 0; i < images.Length; i++)
            {
                expectedGradient[i] += w * part.ImageGradient.Data[i];
            }
        }

        using var sum = new WeightedReward(kinds.Select(k => new WeightedRewardTerm(zoo.Load(k.Kind), k.Weight)));
        Assert.Equal("clip=1,aesthetic=0.05,image_reward=0.5,hpsv2=-2", sum.Name);
        var scores = sum.Score(images, prompt);
        var result = sum.ScoreWithGradient(images, prompt, weights);
        for (var b = 0; b < 2; b++)
        {
            Assert.Equal(expectedScores[b], scores[b], 1e-5);
            Assert.Equal(expectedScores[b], result.Scores[b], 1e-5);
        }

        var scale = expectedGradient.Max(Math.Abs);
        for (var i = 0; i < images.Length; i++)
        {
            Assert.True(Math.Abs(expectedGradient[i] - result.ImageGradient.Data[i]) <= 1e-6 * scale + 1e-9, $"gradient[{i}]: {result.ImageGradient.Data[i]} vs {expectedGradient[i]}");
        }

        var terms = sum.ScoreTerms(images, prompt);
        Assert.Equal(4, terms.Count);
        Assert.Equal(expectedScores[0], kinds.Select((k, i) => k.Weight * (double)terms[i][0]).Sum(), 1e-5);
    }

    [Fact]
    public void Each_term_runs_its_vjp_once_with_the_weighted_cotangent_and_a_zero_weight_term_not_at_all()
    {
        var clip = zoo.Load(RewardKind.Clip);
        var aesthetic = zoo.Load(RewardKind.Aesthetic);
        using var sum = new WeightedReward([new WeightedRewardTerm(clip, 3f), new WeightedRewardTerm(aesthetic, 0f)]);
        var images = RewardTestData.Uniform(1, 32, 32, 22);
        var result = sum.ScoreWithGradient(images, "a cat");
        Assert.Equal((0, 1), (clip.ForwardRuns, clip.VjpRuns));
        Assert.Equal((0, 0), (aesthetic.ForwardRuns, aesthetic.VjpRuns));

        using var alone = zoo.Load(RewardKind.Clip);
        var single = alone.ScoreWithGradient(images, "a cat");
        Assert.Equal(3 * single.Scores[0], result.Scores[0], 1e-6f);
        for (var i = 0; i < images.Length; i++)
        {
            Assert.Equal(3 * single.ImageGradient.Data[i], result.ImageGradient.Data[i], 1e-6f + (1e-5f * Math.Abs(3 * single.ImageGradient.Data[i])));
        }
    }

    [Fact]
    public void Disposing_the_sum_disposes_owned_terms_only()
    {
        var clip = zoo.Load(RewardKind.Clip);
        var images = RewardTestData.Uniform(1, 32, 32, 23);
        new WeightedReward([new WeightedRewardTerm(clip, 1f)], ownsRewards: false).Dispose();
        Assert.Single(clip.Score(images, "a cat"));
        new WeightedReward([new WeightedRewardTerm(clip, 1f)]).Dispose();
        Assert.Throws<ObjectDisposedException>(() => clip.Score(images, "a cat"));
    }

    [Fact]
    public void Bad_terms_are_refused()
    {
        using var clip = zoo.Load(RewardKind.Clip);
        Assert.Contains("at least one", Assert.Throws<ArgumentException>(() => new WeightedReward([])).Message);
        Assert.Contains("'clip' is NaN", Assert.Throws<ArgumentException>(() => new WeightedReward([new WeightedRewardTerm(clip, float.NaN)], false)).Message);
    }
}
