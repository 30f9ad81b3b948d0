using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Autodiff;
using OrtDiffusion.Tests.Autodiff;
using OrtDiffusion.TinyModels;
using OrtDiffusion.TinyModels.PixArt;
using Xunit.Abstractions;

namespace OrtDiffusion.Tests.TinyModels.PixArt;

/// <summary>
/// DATE and IPGO differentiate the transformer with respect to <c>encoder_hidden_states</c>: every node on that path
/// needs a gradient rule, and the VJP graph our differentiator builds must agree with central finite differences of
/// the forward graph, both run in ONNX Runtime (<see cref="GradientChecker"/>).
/// </summary>
public sealed class PixArtGradientTests(ITestOutputHelper output)
{
    public static TheoryData<int, bool> Variants => new() { { 17, false }, { 14, false }, { 17, true }, { 14, true } };

    [Theory]
    [MemberData(nameof(Variants))]
    public void The_differentiator_has_a_rule_for_every_node_from_the_text_and_the_latents_to_the_output(int opset, bool conditions)
    {
        var model = PixArtTransformerModel.Build(new PixArtZooOptions { Opset = opset, AdditionalConditions = conditions });
        foreach (var input in new[] { "encoder_hidden_states", "hidden_states" })
        {
            var missing = VjpBuilder.FindUnsupported(model, input, "out_sample");
            Assert.True(missing.Count == 0, $"d out_sample / d {input}: {string.Join("; ", missing)}");
        }
    }

    /// <summary>
    /// Step and tolerance of the finite differences: the text moves ε by a few percent while the identity path carries
    /// the latent (and the carrier channels hold ±48), so float32 round-off in the forward graph limits smaller steps
    /// (errors ~1e-2 at h = 1e-3) and curvature larger ones; h = 1e-2 measured 1.4e-4 (opset 17) and 6.3e-4 (opset 14)
    /// along a random direction, 1.3e-3 on single coordinates. The autograd comparison below is the tight check.
    /// </summary>
    private const float Step = 1e-2f;
    private const double Tolerance = 5e-3;

    [Theory]
    [InlineData(17)]
    [InlineData(14)]
    public void Vjp_with_respect_to_encoder_hidden_states_matches_finite_differences(int opset)
    {
        var model = PixArtTransformerModel.Build(new PixArtZooOptions { Opset = opset });
        var rng = new Random(41);
        const int batch = 2, length = 6;
        var inputs = new Dictionary<string, object>
        {
            ["hidden_states"] = new TestTensor(TestData.Normal(batch * 4 * 4 * 6, 42), [batch, 4, 4, 6]),
            ["timestep"] = (new long[] { 700, 120 }, new long[] { batch }),
            ["encoder_hidden_states"] = TestTensor.Random(rng, 1.5f, batch, length, 32),
            ["encoder_attention_mask"] = (new long[] { 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 1, 1 }, new long[] { batch, length }),
        };

        var results = GradientChecker.Check(model, "out_sample", inputs, ["encoder_hidden_states"], step: Step, coordinates: 8);
        var r = Assert.Single(results);
        output.WriteLine($"opset {opset}: ⟨g, v⟩ analytic {r.Analytic:G8}, numeric {r.Numeric:G8}, relative error {r.RelativeError:E2}, worst coordinate error {r.WorstCoordinateError:E2}; {r.Statistics}");
        Assert.True(r.RelativeError < Tolerance && r.WorstCoordinateError < Tolerance, $"relative error {r.RelativeError:E2}, worst coordinate {r.WorstCoordinateError:E2}");
    }

    /// <summary>
    /// The VJP graph against torch autograd of the reference network (Reference/pixart_torch_reference.py, case
    /// "transformer_vjp": the "transformer" inputs, cotangent wave((2,8,8,12), 0.11, 0.7, 1, 0)), to 1e-4 of the
    /// largest gradient entry.
    /// </summary>
    [Fact]
    public void Vjp_with_respect_to_encoder_hidden_states_matches_torch_autograd()
    {
        var expected = TorchReference.Floats(PixArtTorchReferenceTests.Expected.Value.GetProperty("transformer_vjp").GetProperty("encoder_hidden_states_grad"));
        var mask = PixArtTorchReferenceTests.Expected.Value.GetProperty("transformer").GetProperty("encoder_attention_mask").EnumerateArray().Select(e => (long)e.GetDouble()).ToArray();
        var vjp = VjpBuilder.Build(PixArtTransformerModel.Build(PixArtZooOptions.Default), "out_sample", ["encoder_hidden_states"]);
        using var folder = new TempFolder("pixart-vjp-torch");
        using var runner = OrtRunner.FromModel(vjp.Model, folder, "vjp.onnx");
        var outputs = runner.Run(
            new Dictionary<string, object>
            {
                ["hidden_states"] = new TestTensor(TorchReference.Wave(2 * 4 * 8 * 12, 0.7, 0.3, 1.2, 0), [2, 4, 8, 12]),
                ["timestep"] = (new long[] { 999, 20 }, new long[] { 2 }),
                ["encoder_hidden_states"] = new TestTensor(TorchReference.Wave(2 * 10 * 32, 0.13, 0.5, 0.9, 0), [2, 10, 32]),
                ["encoder_attention_mask"] = (mask, new long[] { 2, 10 }),
                ["out_sample_grad"] = new TestTensor(TorchReference.Wave(2 * 8 * 8 * 12, 0.11, 0.7, 1, 0), [2, 8, 8, 12]),
            },
            "encoder_hidden_states_grad");
        var actual = outputs["encoder_hidden_states_grad"].Data;
        var scale = expected.Max(Math.Abs);
        var worst = expected.Zip(actual).Max(p => Math.Abs(p.First - p.Second)) / scale;
        output.WriteLine($"VJP vs torch autograd: largest |g| {scale:G4}, worst error {worst:E2} of it");
        Assert.True(worst < 1e-4, $"worst error {worst:E2} of the largest gradient entry");
    }

    [Fact]
    public void Vjp_gives_zero_gradient_at_masked_text_positions()
    {
        var model = PixArtTransformerModel.Build(PixArtZooOptions.Default);
        var vjp = VjpBuilder.Build(model, "out_sample", ["encoder_hidden_states"]);
        using var folder = new TempFolder("pixart-vjp");
        using var runner = OrtRunner.FromModel(vjp.Model, folder, "vjp.onnx");
        var rng = new Random(43);
        var outputs = runner.Run(
            new Dictionary<string, object>
            {
                ["hidden_states"] = new TestTensor(TestData.Normal(4 * 4 * 4, 44), [1, 4, 4, 4]),
                ["timestep"] = (new long[] { 300 }, new long[] { 1 }),
                ["encoder_hidden_states"] = TestTensor.Random(rng, 1f, 1, 5, 32),
                ["encoder_attention_mask"] = (new long[] { 1, 1, 1, 0, 0 }, new long[] { 1, 5 }),
                ["out_sample_grad"] = TestTensor.Random(rng, 1f, 1, 8, 4, 4),
            },
            "encoder_hidden_states_grad");
        var gradient = outputs["encoder_hidden_states_grad"].Data;
        Assert.All(gradient[(3 * 32)..], g => Assert.Equal(0f, g));
        Assert.True(gradient[..(3 * 32)].Any(g => Math.Abs(g) > 1e-4), "the kept positions have a gradient");
    }
}
