using OrtDiffusion.Rewards;
using OrtDiffusion.Tests.TinyModels;
using OrtDiffusion.TinyModels;
using Xunit.Abstractions;

namespace OrtDiffusion.Tests.Autodiff;

/// <summary>
/// End to end: the differentiator's VJPs of the zoo's real-pattern networks against central finite differences
/// (float32 through ONNX Runtime; step 3e-3, 3e-2 for the UNet; tolerance 1e-2 relative for the directional derivative and for
/// single coordinates relative to the gradient's largest entry).
/// </summary>
[Collection(ZooCollection.Name)]
public sealed class ZooGradientTests(ZooFixture zoo, ITestOutputHelper output)
{
    private const double Tolerance = 1e-2;

    [Fact]
    public void Unet_with_respect_to_text_embeddings_and_sample()
    {
        var rng = new Random(1);
        var inputs = new Dictionary<string, object>
        {
            ["sample"] = TestTensor.Random(rng, 1f, 2, 4, 8, 8),
            ["timestep"] = (new long[] { 500, 700 }, new long[] { 2 }),
            ["encoder_hidden_states"] = TestTensor.Random(rng, 1f, 2, 77, 32),
        };
        // Single text-embedding entries have tiny gradients; at step 3e-3 float32 round-off of the 512-term loss
        // dominates them (5.8e-2 of the largest entry), at 3e-2 the error is 1.6e-3: the step is set for that.
        Check(zoo.Model("unet"), "out_sample", inputs, ["encoder_hidden_states", "sample"], step: 3e-2f);
    }

    [Fact]
    public void Vae_decoder_with_respect_to_latents()
    {
        var rng = new Random(2);
        Check(zoo.Model("vae_decoder"), "sample", new Dictionary<string, object> { ["latent_sample"] = TestTensor.Random(rng, 1f, 1, 4, 8, 8) }, ["latent_sample"]);
    }

    [Fact]
    public void Rewards_with_respect_to_the_image()
    {
        var rng = new Random(3);
        var images = TestTensor.Random(rng, 0.5f, 2, 3, 48, 80).Data.Select(v => v + 0.5f).ToArray();
        Check(zoo.Reward(RewardKind.Aesthetic), "score", new Dictionary<string, object> { ["images"] = new TestTensor(images, [2, 3, 48, 80]) }, ["images"]);

        var text = TestTensor.Random(rng, 1f, 1, 32);
        Check(zoo.Reward(RewardKind.Clip), "score", new Dictionary<string, object> { ["images"] = new TestTensor(images, [2, 3, 48, 80]), ["text_embeds"] = text }, ["images"]);
    }

    private void Check(string model, string y, Dictionary<string, object> inputs, string[] wrt, float step = 3e-3f)
    {
        foreach (var r in GradientChecker.CheckFile(model, y, inputs, wrt, step))
        {
            output.WriteLine($"{Path.GetFileName(Path.GetDirectoryName(model))} d{y}/d{r.Input}: directional {r.RelativeError:E2}, worst coordinate {r.WorstCoordinateError:E2}; {r.Statistics}");
            Assert.True(r.RelativeError < Tolerance && r.WorstCoordinateError < Tolerance, $"{r.Input}: {r.Analytic} vs {r.Numeric} ({r.RelativeError:E2}, {r.WorstCoordinateError:E2})");
        }
    }
}
