using OrtDiffusion.Onnx.Autodiff;
using OrtDiffusion.Rewards;
using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;
using OrtDiffusion.Tests.TinyModels;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.Date;

/// <summary>Rewards for DATE tests: the zoo's aesthetic model through its real VJP graph, and a constant one.</summary>
internal static class TestRewards
{
    public static IReward Aesthetic(ZooFixture zoo) => new ImageOnlyReward(zoo.Reward(RewardKind.Aesthetic));

    /// <summary>An image-only ONNX reward (images → score) scored through its combined VJP model.</summary>
    private sealed class ImageOnlyReward : IReward
    {
        private readonly InferenceSession forward;
        private readonly InferenceSession vjp;

        public ImageOnlyReward(string modelPath)
        {
            forward = new InferenceSession(modelPath);
            vjp = new InferenceSession(VjpCache.GetOrBuild(modelPath, "score", ["images"]));
        }

        public string Name => "aesthetic";

        public float[] Score(FloatTensor images, string prompt, CancellationToken cancellationToken = default)
        {
            using var input = OrtValue.CreateTensor(images.Data, images.Shape);
            using var outputs = forward.Run(new Dictionary<string, OrtValue> { ["images"] = input }, ["score"]);
            return outputs[0].ToArray<float>();
        }

        public RewardGradient ScoreWithGradient(FloatTensor images, string prompt, ReadOnlySpan<float> weights, CancellationToken cancellationToken = default)
        {
            using var input = OrtValue.CreateTensor(images.Data, images.Shape);
            using var cotangent = OrtValue.CreateTensor(weights.ToArray(), [weights.Length]);
            using var outputs = vjp.Run(new Dictionary<string, OrtValue> { ["images"] = input, ["score_grad"] = cotangent });
            return new RewardGradient(outputs["score"].ToArray<float>(), new FloatTensor(outputs["images_grad"].ToArray<float>(), images.Shape));
        }

        public void Dispose()
        {
            forward.Dispose();
            vjp.Dispose();
        }
    }
}

/// <summary>A reward whose value ignores the image: its gradient is exactly zero.</summary>
internal sealed class ConstantReward : IReward
{
    public string Name => "constant";

    public float[] Score(FloatTensor images, string prompt, CancellationToken cancellationToken = default) => Enumerable.Repeat(1f, images.BatchSize).ToArray();

    public RewardGradient ScoreWithGradient(FloatTensor images, string prompt, ReadOnlySpan<float> weights, CancellationToken cancellationToken = default) =>
        new(Score(images, prompt), FloatTensor.Zeros(images.Shape));

    public void Dispose()
    {
    }
}
