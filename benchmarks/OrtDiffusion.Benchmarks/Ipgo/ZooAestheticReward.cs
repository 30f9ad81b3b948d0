using OrtDiffusion.Onnx.Autodiff;
using OrtDiffusion.Rewards;
using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Benchmarks.Ipgo;

/// <summary>The zoo's image-only aesthetic reward: scores from its model, gradients from its VJP graph.</summary>
internal sealed class ZooAestheticReward : IReward
{
    private readonly InferenceSession forward;
    private readonly InferenceSession vjp;

    public ZooAestheticReward(string modelPath)
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
