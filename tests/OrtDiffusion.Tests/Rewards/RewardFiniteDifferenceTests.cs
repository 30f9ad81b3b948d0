using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;
using Xunit.Abstractions;

namespace OrtDiffusion.Tests.Rewards;

/// <summary>
/// The image gradient of each reward (one VJP run) against central finite differences of its forward scores, in
/// float32 through ONNX Runtime: the weighted objective L(x) = Σ_b w_b · score_b(x), with w = [1, 0.7] on a batch of two
/// 30×44 images (non-square, so resize and crop both act). Directional derivative along a seeded Gaussian direction
/// (h = 1e-3): |FD − ⟨g, v⟩| ≤ 1 % of |⟨g, v⟩| + 1e-5. The three coordinates with the largest |g| (h = 0.02):
/// |FD − g_i| ≤ 2 % of |g_i| + 2e-5. The measured errors are written to the test output.
/// </summary>
[Collection(RewardZooCollection.Name)]
public sealed class RewardFiniteDifferenceTests(RewardZooFixture zoo, ITestOutputHelper output)
{
    private static readonly float[] Weights = [1f, 0.7f];

    [Theory]
    [MemberData(nameof(RewardTestData.Kinds), MemberType = typeof(RewardTestData))]
    public void Image_gradient_matches_central_differences(RewardKind kind)
    {
        using var reward = zoo.Load(kind);
        Check(reward, RewardTestData.PromptFor(kind), seed: (int)kind + 1);
    }

    [Fact]
    public void Weighted_sum_gradient_matches_central_differences()
    {
        using var reward = new WeightedReward(
        [
            new WeightedRewardTerm(zoo.Load(RewardKind.Clip), 1f),
            new WeightedRewardTerm(zoo.Load(RewardKind.Aesthetic), 0.05f),
            new WeightedRewardTerm(zoo.Load(RewardKind.ImageReward), 0.5f),
            new WeightedRewardTerm(zoo.Load(RewardKind.HpsV2), 2f),
        ]);
        Check(reward, RewardTestData.ClipPrompt, seed: 11);
    }

    private void Check(IReward reward, string prompt, int seed)
    {
        var images = RewardTestData.Uniform(2, 30, 44, seed);
        var gradient = reward.ScoreWithGradient(images, prompt, Weights).ImageGradient.Data;
        Assert.Contains(gradient, g => g != 0);

        double Objective(FloatTensor x)
        {
            var s = reward.Score(x, prompt);
            return (Weights[0] * (double)s[0]) + (Weights[1] * (double)s[1]);
        }

        double Central(float[] direction, double h)
        {
            var plus = images.Clone();
            var minus = images.Clone();
            for (var i = 0; i < direction.Length; i++)
            {
                plus.Data[i] += (float)(h * direction[i]);
                minus.Data[i] -= (float)(h * direction[i]);
            }

            return (Objective(plus) - Objective(minus)) / (2 * h);
        }

        // Directional derivative along a seeded Gaussian direction.
        var random = new Random(seed);
        var v = new float[gradient.Length];
        for (var i = 0; i < v.Length; i++)
        {
            v[i] = (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
        }

        var analytic = gradient.Select((g, i) => (double)g * v[i]).Sum();
        var numeric = Central(v, 1e-3);
        var error = Math.Abs(numeric - analytic);
        output.WriteLine($"{reward.Name}: directional FD {numeric:E6} vs VJP {analytic:E6}, relative error {error / Math.Abs(analytic):E2}");
        Assert.True(error <= (0.01 * Math.Abs(analytic)) + 1e-5, $"{reward.Name}: directional derivative {numeric} by differences vs {analytic} from the VJP");

        // A few coordinates: the largest gradient entries.
        foreach (var index in Enumerable.Range(0, gradient.Length).OrderByDescending(i => Math.Abs(gradient[i])).Take(3))
        {
            var e = new float[gradient.Length];
            e[index] = 1;
            var fd = Central(e, 0.02);
            var coordinateError = Math.Abs(fd - gradient[index]);
            output.WriteLine($"{reward.Name}: d/dx[{index}] FD {fd:E6} vs VJP {gradient[index]:E6}, relative error {coordinateError / Math.Abs(gradient[index]):E2}");
            Assert.True(coordinateError <= (0.02 * Math.Abs(gradient[index])) + 2e-5, $"{reward.Name}: d/dx[{index}] by differences {fd} vs {gradient[index]} from the VJP");
        }
    }
}
