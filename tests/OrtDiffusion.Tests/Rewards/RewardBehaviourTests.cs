using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Tests.Rewards;

/// <summary>Scoring contracts every reward keeps: ranges, batching, one VJP call, cotangent weights, the text cache.</summary>
[Collection(RewardZooCollection.Name)]
public sealed class RewardBehaviourTests(RewardZooFixture zoo)
{
    [Theory]
    [InlineData(RewardKind.Clip, -1, 1)]          // a cosine
    [InlineData(RewardKind.HpsV2, -1, 1)]         // a cosine
    [InlineData(RewardKind.Aesthetic, 2, 9)]      // LAION aesthetic scores of ordinary images sit around 5–6 (output bias 5.5)
    [InlineData(RewardKind.ImageReward, -5, 5)]   // normalised to roughly unit spread
    public void Scores_fall_in_the_rewards_range_and_a_batch_of_two_equals_two_singles(RewardKind kind, double low, double high)
    {
        using var reward = zoo.Load(kind);
        var images = RewardTestData.Uniform(2, 48, 40, 3);
        var both = reward.Score(images, RewardTestData.PromptFor(kind));
        Assert.Equal(2, both.Length);
        Assert.All(both, s => Assert.InRange(s, low, high));
        Assert.NotEqual(both[0], both[1]);
        for (var b = 0; b < 2; b++)
        {
            var single = reward.Score(images.SliceBatch(b, 1), RewardTestData.PromptFor(kind));
            Assert.Equal(both[b], single[0], 5e-6f);
        }
    }

    [Theory]
    [MemberData(nameof(RewardTestData.Kinds), MemberType = typeof(RewardTestData))]
    public void Score_with_gradient_runs_only_the_vjp_model_once_and_returns_the_forward_scores(RewardKind kind)
    {
        using var reward = zoo.Load(kind);
        var images = RewardTestData.Uniform(2, 40, 40, 4);
        var forward = reward.Score(images, RewardTestData.PromptFor(kind));
        Assert.Equal((1, 0), (reward.ForwardRuns, reward.VjpRuns));

        var result = reward.ScoreWithGradient(images, RewardTestData.PromptFor(kind));
        Assert.Equal((1, 1), (reward.ForwardRuns, reward.VjpRuns));
        Assert.Equal(forward, result.Scores, new FloatTolerance(5e-6f));
        Assert.Equal(images.Shape, result.ImageGradient.Shape);
        Assert.NotSame(images.Data, result.ImageGradient.Data);
    }

    [Theory]
    [MemberData(nameof(RewardTestData.Kinds), MemberType = typeof(RewardTestData))]
    public void Weights_are_the_per_image_cotangent(RewardKind kind)
    {
        // The gradient of Σ w_b s_b is w_b times image b's own gradient; empty weights mean all ones.
        using var reward = zoo.Load(kind);
        var images = RewardTestData.Uniform(2, 36, 36, 5);
        var prompt = RewardTestData.PromptFor(kind);
        var ones = reward.ScoreWithGradient(images, prompt).ImageGradient;
        Assert.Equal(ones.Data, reward.ScoreWithGradient(images, prompt, [1f, 1f]).ImageGradient.Data);
        var weighted = reward.ScoreWithGradient(images, prompt, [2f, -0.25f]).ImageGradient;
        var item = ones.ItemLength;
        for (var i = 0; i < ones.Length; i++)
        {
            var w = i < item ? 2f : -0.25f;
            Assert.Equal(w * ones.Data[i], weighted.Data[i], 1e-6f + (1e-5f * Math.Abs(w * ones.Data[i])));
        }

        var zero = reward.ScoreWithGradient(images, prompt, [0f, 1f]).ImageGradient;
        Assert.All(zero.Data[..item], g => Assert.Equal(0f, g));
    }

    [Theory]
    [InlineData(RewardKind.Clip)]
    [InlineData(RewardKind.HpsV2)]
    public void The_text_model_runs_once_per_prompt(RewardKind kind)
    {
        using var reward = zoo.Load(kind);
        var images = RewardTestData.Uniform(1, 32, 32, 6);
        reward.Score(images, "a photo of a cat");
        reward.Score(images, "a photo of a cat");
        reward.ScoreWithGradient(images, "a photo of a cat");
        Assert.Equal(1, reward.TextModelRuns);

        var dog = reward.Score(images, "a photo of a dog");
        Assert.Equal(2, reward.TextModelRuns);
        var cat = reward.Score(images, "a photo of a cat");
        Assert.Equal(2, reward.TextModelRuns);
        Assert.NotEqual(cat[0], dog[0]); // the prompt matters
    }

    [Fact]
    public void Image_reward_reads_the_prompt_through_its_tokens_and_aesthetic_ignores_it()
    {
        var images = RewardTestData.Uniform(1, 32, 32, 7);
        using (var imageReward = zoo.Load(RewardKind.ImageReward))
        {
            Assert.NotEqual(imageReward.Score(images, "a photo of a cat")[0], imageReward.Score(images, "a red car at night")[0]);
            Assert.Equal(0, imageReward.TextModelRuns); // no text model: ids and mask go straight in
        }

        using var aesthetic = zoo.Load(RewardKind.Aesthetic);
        Assert.Equal(aesthetic.Score(images, "a photo of a cat"), aesthetic.Score(images, "anything else"));
        Assert.Empty(aesthetic.EncodePrompt("a photo of a cat").Inputs);
    }

    [Fact]
    public void Load_picks_the_class_by_kind_and_names_the_reward_after_its_folder()
    {
        foreach (var (kind, type) in new[] { (RewardKind.Clip, typeof(ClipScore)), (RewardKind.Aesthetic, typeof(LaionAesthetic)), (RewardKind.ImageReward, typeof(ImageReward)), (RewardKind.HpsV2, typeof(HpsV2)) })
        {
            using var reward = zoo.Load(kind);
            Assert.IsType(type, reward);
            Assert.Equal(kind, reward.Kind);
            Assert.Equal(RewardKinds.Name(kind), reward.Name);
        }
    }

    [Fact]
    public void Cancellation_stops_before_running()
    {
        using var reward = zoo.Load(RewardKind.Clip);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => reward.Score(RewardTestData.Uniform(1, 32, 32, 8), "a cat", cancelled.Token));
        Assert.ThrowsAny<OperationCanceledException>(() => reward.ScoreWithGradient(RewardTestData.Uniform(1, 32, 32, 8), "a cat", default, cancelled.Token));
    }

    private sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;

        public int GetHashCode(float obj) => 0;
    }
}
