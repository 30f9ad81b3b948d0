using OrtDiffusion.Date;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Tensors;
using OrtDiffusion.Tests.Date;
using OrtDiffusion.Tests.TinyModels;
using OrtDiffusion.Tests.TinyModels.PixArt;
using OrtDiffusion.TinyModels;
using Xunit.Abstractions;
using static OrtDiffusion.Tests.PixArt.PixArtTestHelpers;

namespace OrtDiffusion.Tests.PixArt;

/// <summary>
/// DATE on the tiny PixArt-α (T5 embeddings [1, 120, 32] with their mask, the DiT's split VJP with cotangent [g, 0] over
/// its 8 channels, DPM-Solver++'s x̄₀ and step derivatives, the zoo's VAE decoder and aesthetic reward; 64×64).
/// </summary>
[Collection(ZooCollection.Name)]
public sealed class PixArtDateTests(ZooFixture zoo, ITestOutputHelper output)
{
    private const string Prompt = "a photo of a cat";

    private static GenerationRequest DateRequest(int steps = 20, int batch = 1) =>
        Request(seed: 3, steps: steps) with { Prompt = Prompt, BatchSize = batch };

    /// <summary>
    /// The composed gradient (reward VJP → decoder VJP → DPM-Solver++ ∂x̄₀/∂ε → ×w → the transformer's backward) against
    /// central differences of h(c) evaluated through the forward models only. The directional derivative is along a
    /// random direction over the whole [1, 120, 32] tensor (masked positions included: both sides are zero there);
    /// coordinates are the largest-gradient entry, two other kept positions and one masked position (where both the
    /// gradient and the difference must be exactly 0). Steps ±1e-2 (direction) and ±5e-2 (coordinates), float32.
    /// Measured: step 2 directional 1.5e-4, worst coordinate 1.6e-3 of max |g|; step 11 8.4e-4 and 6.2e-3; the
    /// 1024-style folder at step 5 2.5e-3 and 8.5e-4. Tolerances 5e-3 (directional) and 1.5e-2 (coordinates).
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(11)]
    public void The_composed_gradient_matches_central_differences_of_h_through_the_transformer(int step)
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Layout.PixArt);
        using var reward = TestRewards.Aesthetic(zoo);
        var probe = new PixArtGradientProbe(new DateGradient(reward, pipeline.Decoder, Prompt), step);
        pipeline.Generate(DateRequest(), probe);
        Assert.True(probe.Checked, "the probe step was not reached");
        output.WriteLine($"step {step}: analytic {probe.Analytic:G6}, numeric {probe.Numeric:G6}, directional error {probe.DirectionalRelativeError:E2}, worst coordinate {probe.WorstCoordinateError:E2}, masked coordinate g {probe.MaskedGradient}, fd {probe.MaskedDifference}");
        Assert.True(probe.DirectionalRelativeError < 5e-3, $"directional: analytic {probe.Analytic:G6} vs numeric {probe.Numeric:G6} (relative error {probe.DirectionalRelativeError:E2})");
        Assert.True(probe.WorstCoordinateError < 1.5e-2, $"coordinates: worst error {probe.WorstCoordinateError:E2} of the gradient's scale");
        Assert.Equal(0f, probe.MaskedGradient);
        Assert.Equal(0.0, probe.MaskedDifference);
    }

    /// <summary>The same check on the 1024-px style folder: opset 14, float timestep and mask, resolution/aspect-ratio inputs.</summary>
    [Fact]
    public void The_composed_gradient_matches_central_differences_on_the_1024_style_transformer()
    {
        using var folder = new TempFolder("pixart-1024-date");
        var path = TinyZoo.WritePixArt(folder.Path, PixArtZooFixture.Variant);
        using var pipeline = PixArtAlphaPipeline.Load(path);
        Assert.True(pipeline.Model.Transformer.HasSizeConditioning);
        using var reward = TestRewards.Aesthetic(zoo);
        var probe = new PixArtGradientProbe(new DateGradient(reward, pipeline.Decoder, Prompt), 5);
        pipeline.Generate(DateRequest() with { Width = 128 }, probe);
        output.WriteLine($"1024 style, step 5: analytic {probe.Analytic:G6}, numeric {probe.Numeric:G6}, directional error {probe.DirectionalRelativeError:E2}, worst coordinate {probe.WorstCoordinateError:E2}");
        Assert.True(probe.Checked);
        Assert.True(probe.DirectionalRelativeError < 5e-3, $"directional relative error {probe.DirectionalRelativeError:E2}");
        Assert.True(probe.WorstCoordinateError < 1.5e-2, $"worst coordinate error {probe.WorstCoordinateError:E2}");
        Assert.Equal(0f, probe.MaskedGradient);
    }

    [Fact]
    public void A_small_step_along_the_normalised_gradient_raises_the_reward_at_every_update()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Layout.PixArt);
        using var reward = TestRewards.Aesthetic(zoo);
        var date = new DateNoisePredictor(reward, pipeline.Decoder, Prompt, new DateOptions { Rho = 0.05f, Schedule = DateSchedule.Every(2), ScoreAfterUpdate = true });
        pipeline.Generate(DateRequest(), date);
        var updates = date.Trace.Where(t => t.Scheduled).ToList();
        foreach (var t in updates)
        {
            output.WriteLine($"step {t.Index}: h {t.RewardBefore![0]:G7} → {t.RewardAfter![0]:G7}, ‖g‖ {t.GradientNorm![0]:G4}");
        }

        Assert.Equal([0, 2, 4, 6, 8, 10, 12, 14, 16, 18], updates.Select(t => t.Index));
        Assert.All(updates, t => Assert.True(t.RewardAfter![0] > t.RewardBefore![0], $"step {t.Index}: {t.RewardBefore![0]} → {t.RewardAfter![0]}"));
    }

    /// <summary>
    /// "--date-every 2" at 20 steps is the paper's "50% updates": steps 0, 2, …, 18 update. Cost: 10 batched steps and
    /// 10 × (uncond + recorded cond + cond again) transformer forwards. Only c changes; c_u and both masks stay.
    /// </summary>
    [Fact]
    public void Every_second_step_updates_only_the_conditional_embedding_and_costs_three_forwards_per_update()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Layout.PixArt);
        using var reward = TestRewards.Aesthetic(zoo);
        var original = pipeline.EncodePrompts(Prompt, "blurry", 1);
        var date = new DateNoisePredictor(reward, pipeline.Decoder, Prompt, new DateOptions { Rho = 0.5f, Schedule = DateSchedule.Parse("2") });
        var result = pipeline.Generate(DateRequest() with { NegativePrompt = "blurry" }, date);
        Assert.Equal(20, date.Trace.Count);
        Assert.Equal(10, date.Trace.Count(t => t.Scheduled && t.Updated[0]));
        Assert.Equal(10, result.Embeddings.Version);
        Assert.Equal(10 + (10 * 3), result.DenoiserCalls);
        Assert.Equal(original.Unconditional.Data, result.Embeddings.Unconditional.Data);
        Assert.Equal(original.UnconditionalMask!.Data, result.Embeddings.UnconditionalMask!.Data);
        Assert.Equal(original.ConditionalMask!.Data, result.Embeddings.ConditionalMask!.Data);
        Assert.NotEqual(original.Conditional.Data, result.Embeddings.Conditional.Data);
        Assert.All(date.Trace.Where(t => t.Scheduled), t => Assert.Contains(t.CallMilliseconds, c => c.Key == "denoiser backward"));
    }

    /// <summary>
    /// Masked text positions: the gradient there is exactly zero (the key mask's −10000 bias makes their attention
    /// weights exactly 0 in float32, so nothing flows back), and the updates leave them bit for bit as T5 wrote them,
    /// while the kept positions move; with init_org every sample ends exactly ρ from c_org (Frobenius norm over the whole
    /// tensor, which equals the norm over the kept positions).
    /// </summary>
    [Fact]
    public void Updates_leave_masked_positions_unchanged_and_move_the_kept_ones()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Layout.PixArt);
        using var reward = TestRewards.Aesthetic(zoo);
        var original = pipeline.EncodePrompts(Prompt, string.Empty, 1);
        var mask = original.ConditionalMask!;
        var masked = Positions(mask, 0f).ToList();
        var kept = Positions(mask, 1f).ToList();
        Assert.True(masked.Count > 100 && kept.Count > 1, $"{kept.Count} kept, {masked.Count} masked");

        var gradients = new GradientAtStep(new DateGradient(reward, pipeline.Decoder, Prompt), 4);
        pipeline.Generate(DateRequest(steps: 8), gradients);
        var g = gradients.Gradient!;
        Assert.All(masked, p => Assert.All(g.Data.AsSpan(p * 32, 32).ToArray(), v => Assert.Equal(0f, v)));
        Assert.Contains(kept, p => g.Data.AsSpan(p * 32, 32).ToArray().Any(v => v != 0f));

        const float rho = 0.3f;
        var date = new DateNoisePredictor(reward, pipeline.Decoder, Prompt, new DateOptions { Rho = rho, Schedule = DateSchedule.Every(1), InitFromOriginal = true });
        var c = pipeline.Generate(DateRequest(steps: 8), date).Embeddings.Conditional;
        Assert.All(masked, p => Assert.Equal(original.Conditional.Data.AsSpan(p * 32, 32).ToArray(), c.Data.AsSpan(p * 32, 32).ToArray()));
        Assert.All(kept, p => Assert.NotEqual(original.Conditional.Data.AsSpan(p * 32, 32).ToArray(), c.Data.AsSpan(p * 32, 32).ToArray()));
        Assert.Equal(rho, Distance(c, original.Conditional), 4);

        // Accumulating updates with the prior (λ > 0) keep them too: c − c_org is zero there, so the prior adds nothing.
        var accumulating = new DateNoisePredictor(reward, pipeline.Decoder, Prompt, new DateOptions { Rho = rho, Schedule = DateSchedule.Every(2), PriorWeight = 50f });
        var d = pipeline.Generate(DateRequest(steps: 8), accumulating).Embeddings.Conditional;
        Assert.All(masked, p => Assert.Equal(original.Conditional.Data.AsSpan(p * 32, 32).ToArray(), d.Data.AsSpan(p * 32, 32).ToArray()));
    }

    [Fact]
    public void A_batch_of_two_gives_each_sample_its_own_norm()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Layout.PixArt);
        using var reward = TestRewards.Aesthetic(zoo);
        var date = new DateNoisePredictor(reward, pipeline.Decoder, Prompt, new DateOptions { Rho = 0.2f, Schedule = DateSchedule.AtSteps([1]) });
        var result = pipeline.Generate(DateRequest(steps: 4, batch: 2), date);
        var original = pipeline.EncodePrompt(Prompt).Embedding;
        for (var b = 0; b < 2; b++)
        {
            Assert.Equal(0.2, Distance(result.Embeddings.Conditional.SliceBatch(b, 1), original), 4);
        }

        var norms = date.Trace[1].GradientNorm!;
        Assert.Equal(2, norms.Count);
        Assert.NotEqual(norms[0], norms[1]);
    }

    private static double Distance(FloatTensor a, FloatTensor b) =>
        Math.Sqrt(a.Data.Zip(b.Data, (x, y) => (x - y) * (double)(x - y)).Sum());

    /// <summary>Keeps ∇_c h at one step (the raw composed gradient, before DATE's masking of the direction).</summary>
    private sealed class GradientAtStep(DateGradient gradient, int step) : INoisePredictor
    {
        public FloatTensor? Gradient { get; private set; }

        public void Predict(DenoisingContext context, Span<float> guided)
        {
            if (context.StepIndex == step)
            {
                var uncond = new float[context.Latents.Length];
                context.PredictNoise(context.Embeddings.Unconditional, uncond);
                Gradient = gradient.Compute(context, context.Embeddings.Conditional, uncond, []).Gradient;
            }

            context.PredictGuided(guided);
        }
    }

    /// <summary>At one step: the composed gradient and central differences of h(c) at the live sampling state.</summary>
    private sealed class PixArtGradientProbe(DateGradient gradient, int step) : INoisePredictor
    {
        public bool Checked { get; private set; }

        public double Analytic { get; private set; }

        public double Numeric { get; private set; }

        public double DirectionalRelativeError { get; private set; }

        public double WorstCoordinateError { get; private set; }

        public float MaskedGradient { get; private set; } = float.NaN;

        public double MaskedDifference { get; private set; } = double.NaN;

        public void Predict(DenoisingContext context, Span<float> guided)
        {
            if (context.StepIndex == step)
            {
                Probe(context);
            }

            context.PredictGuided(guided);
        }

        private void Probe(DenoisingContext context)
        {
            var c = context.Embeddings.Conditional;
            var mask = context.Embeddings.ConditionalMask!;
            var uncond = new float[context.Latents.Length];
            context.PredictNoise(context.Embeddings.Unconditional, uncond);
            var (_, g) = gradient.Compute(context, c, uncond, []);
            var rng = new Random(5);
            var direction = c.Data.Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
            double H(float[] d, float scale)
            {
                var moved = new FloatTensor(c.Data.Select((v, i) => v + (scale * d[i])).ToArray(), c.Shape);
                return gradient.Evaluate(context, moved, uncond)[0];
            }

            const float h = 1e-2f;
            Numeric = (H(direction, h) - H(direction, -h)) / (2 * h);
            Analytic = g.Data.Zip(direction, (a, b) => (double)a * b).Sum();
            var norm = Math.Sqrt(g.Data.Sum(v => (double)v * v));
            DirectionalRelativeError = Math.Abs(Analytic - Numeric) / Math.Max(0.5 * norm, Math.Max(Math.Abs(Analytic), Math.Abs(Numeric)));

            var scale = g.Data.Max(v => Math.Abs(v));
            var keptIndex = Positions(mask, 1f).Last() * 32;
            foreach (var index in new[] { Array.IndexOf(g.Data, g.Data.MaxBy(Math.Abs)), 5, keptIndex + 17 })
            {
                WorstCoordinateError = Math.Max(WorstCoordinateError, Math.Abs(Coordinate(index) - g.Data[index]) / scale);
            }

            var maskedIndex = (Positions(mask, 0f).First() * 32) + 9;
            MaskedGradient = g.Data[maskedIndex];
            MaskedDifference = Coordinate(maskedIndex);
            Checked = true;

            double Coordinate(int index)
            {
                var unit = new float[c.Length];
                unit[index] = 1f;
                return (H(unit, 5e-2f) - H(unit, -5e-2f)) / 0.1;
            }
        }
    }
}
