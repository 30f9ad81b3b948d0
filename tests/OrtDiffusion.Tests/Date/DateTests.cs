using OrtDiffusion.Date;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;
using OrtDiffusion.Tests.TinyModels;

namespace OrtDiffusion.Tests.Date;

/// <summary>DATE on the tiny zoo (aesthetic reward through its VJP graph; DDIM; 64×64).</summary>
[Collection(ZooCollection.Name)]
public sealed class DateTests(ZooFixture zoo, Xunit.Abstractions.ITestOutputHelper output)
{
    private static GenerationRequest Request(int steps = 10, int batch = 1) => new()
    {
        Prompt = "a photo of a cat",
        Steps = steps,
        Seed = 3,
        Width = 64,
        Height = 64,
        Scheduler = "ddim",
        GuidanceScale = 7.5f,
        BatchSize = batch,
    };

    [Theory]
    [InlineData("ddim", 3)]
    [InlineData("euler", 5)]
    [InlineData("dpm++", 4)]
    public void The_composed_gradient_matches_central_differences_of_h_through_the_forward_models(string scheduler, int step)
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        var probe = new GradientProbe(new DateGradient(reward, pipeline.Model.VaeDecoder, "a photo of a cat"), step);
        pipeline.Generate(Request() with { Scheduler = scheduler }, probe);
        Assert.True(probe.Checked, "the probe step was not reached");
        output.WriteLine($"{scheduler} step {step}: analytic {probe.Analytic:G6}, numeric {probe.Numeric:G6}, directional error {probe.DirectionalRelativeError:E2}, worst coordinate {probe.WorstCoordinateError:E2}");

        // Directional derivative along a random direction, and three single coordinates, against ±h differences
        // of h(c) evaluated through the UNet, CFG, x̄₀, the decoder and the reward (all forward, float32).
        Assert.True(probe.DirectionalRelativeError < 1e-2, $"directional: analytic {probe.Analytic:G6} vs numeric {probe.Numeric:G6} (relative error {probe.DirectionalRelativeError:E2})");
        Assert.True(probe.WorstCoordinateError < 2e-2, $"coordinates: worst error {probe.WorstCoordinateError:E2} of the gradient's scale");
    }

    [Fact]
    public void A_small_step_along_the_normalised_gradient_raises_the_reward_at_every_update()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        var date = new DateNoisePredictor(reward, pipeline.Model.VaeDecoder, "a photo of a cat", new DateOptions { Rho = 0.05f, Schedule = DateSchedule.Every(3), ScoreAfterUpdate = true });
        pipeline.Generate(Request(), date);
        var updates = date.Trace.Where(t => t.Scheduled).ToList();
        Assert.Equal([0, 3, 6, 9], updates.Select(t => t.Index));
        Assert.All(updates, t => Assert.True(t.RewardAfter![0] > t.RewardBefore![0], $"step {t.Index}: {t.RewardBefore![0]} → {t.RewardAfter![0]}"));
    }

    [Fact]
    public void Only_the_scheduled_steps_change_the_conditional_embedding_and_never_the_unconditional_one()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        var request = Request(steps: 8);
        var original = pipeline.EncodePrompts(request.Prompt, request.NegativePrompt, 1);
        var date = new DateNoisePredictor(reward, pipeline.Model.VaeDecoder, request.Prompt, new DateOptions { Rho = 0.5f, Schedule = DateSchedule.AtSteps([1, 5]) });
        var result = pipeline.Generate(request, date);

        Assert.Equal(8, date.Trace.Count);
        Assert.Equal([1, 5], date.Trace.Where(t => t.Scheduled).Select(t => t.Index));
        Assert.Equal(2, result.Embeddings.Version);
        Assert.Equal(original.Unconditional.Data, result.Embeddings.Unconditional.Data);
        Assert.NotEqual(original.Conditional.Data, result.Embeddings.Conditional.Data);

        // Cost: 6 batched steps + 2 × (uncond + recorded cond + cond again).
        Assert.Equal(6 + (2 * 3), result.UnetCalls);
    }

    [Fact]
    public void Accumulating_and_init_from_original_differ_as_the_paper_and_the_code_say()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        const float rho = 0.3f;
        var request = Request(steps: 6);
        var original = pipeline.EncodePrompt(request.Prompt).Embedding;

        var fromOriginal = new DateNoisePredictor(reward, pipeline.Model.VaeDecoder, request.Prompt, new DateOptions { Rho = rho, Schedule = DateSchedule.Every(2), InitFromOriginal = true });
        var a = pipeline.Generate(request, fromOriginal).Embeddings.Conditional;
        Assert.Equal(rho, Distance(a, original), 4); // c = c_org + ρĝ: always exactly ρ away

        var accumulating = new DateNoisePredictor(reward, pipeline.Model.VaeDecoder, request.Prompt, new DateOptions { Rho = rho, Schedule = DateSchedule.Every(2) });
        var b = pipeline.Generate(request, accumulating).Embeddings.Conditional;
        var moved = Distance(b, original);
        Assert.True(moved > rho * 1.05 && moved <= (3 * rho) + 1e-4, $"three accumulated updates moved c by {moved}");
    }

    [Fact]
    public void A_batch_of_two_gives_each_sample_its_own_norm()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        var request = Request(steps: 4, batch: 2);
        var date = new DateNoisePredictor(reward, pipeline.Model.VaeDecoder, request.Prompt, new DateOptions { Rho = 0.2f, Schedule = DateSchedule.AtSteps([0]) });
        var result = pipeline.Generate(request, date);
        var original = pipeline.EncodePrompt(request.Prompt).Embedding;
        var c = result.Embeddings.Conditional;
        for (var b = 0; b < 2; b++)
        {
            Assert.Equal(0.2, Distance(c.SliceBatch(b, 1), original), 4);
        }

        var norms = date.Trace[0].GradientNorm!;
        Assert.Equal(2, norms.Count);
        Assert.NotEqual(norms[0], norms[1]); // different noise per sample, so different gradients
    }

    [Fact]
    public void A_zero_gradient_skips_the_update_and_says_so()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = new ConstantReward();
        var request = Request(steps: 4);
        var date = new DateNoisePredictor(reward, pipeline.Model.VaeDecoder, request.Prompt, new DateOptions { Schedule = DateSchedule.Every(1) });
        var result = pipeline.Generate(request, date);
        var fixedRun = pipeline.Generate(request);
        Assert.All(date.Trace, t => Assert.Equal("zero gradient norm", t.SkipReason));
        Assert.All(date.Trace, t => Assert.False(t.Updated[0]));
        Assert.Equal(fixedRun.Images.Data, result.Images.Data);
        Assert.True(result.Embeddings.Conditional.IsFinite());
    }

    [Fact]
    public void Editing_updates_only_while_denoising_the_noised_source()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        var source = pipeline.Generate(Request());
        var date = new DateNoisePredictor(reward, pipeline.Model.VaeDecoder, "a painting of a cat", new DateOptions { Rho = 0.3f, Schedule = DateSchedule.Every(2) });
        var edited = pipeline.Generate(Request() with { Prompt = "a painting of a cat", InitImage = source.Images, Strength = 0.6f }, date);
        Assert.Equal(Enumerable.Range(4, 6), date.Trace.Select(t => t.Index));
        Assert.Equal([4, 6, 8], date.Trace.Where(t => t.Scheduled).Select(t => t.Index));
        Assert.True(edited.Images.IsFinite());
    }

    [Theory]
    [InlineData("pndm")]
    [InlineData("lms")]
    [InlineData("euler")]
    [InlineData("dpm++")]
    public void Every_scheduler_runs_date_to_finite_images(string scheduler)
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        var date = new DateNoisePredictor(reward, pipeline.Model.VaeDecoder, "a photo of a cat", new DateOptions { Rho = 0.3f, Schedule = DateSchedule.Every(2) });
        var result = pipeline.Generate(Request(steps: 6) with { Scheduler = scheduler }, date);
        Assert.True(result.Images.IsFinite());
        Assert.All(date.Trace.Where(t => t.Scheduled), t => Assert.True(t.Updated[0]));
    }

    [Fact]
    public void Float16_models_run_date()
    {
        using var folder = new TempFolder("fp16-date");
        var path = OrtDiffusion.TinyModels.TinyZoo.WriteStableDiffusion(folder.Path, OrtDiffusion.TinyModels.TinyZooOptions.Default with { Float16 = true });
        using var pipeline = StableDiffusionPipeline.Load(path);
        using var reward = TestRewards.Aesthetic(zoo);
        var date = new DateNoisePredictor(reward, pipeline.Model.VaeDecoder, "a photo of a cat", new DateOptions { Rho = 0.3f, Schedule = DateSchedule.Every(2), ScoreAfterUpdate = true });
        var result = pipeline.Generate(Request(steps: 6), date);
        Assert.True(result.Images.IsFinite());
        var updates = date.Trace.Where(t => t.Scheduled).ToList();
        Assert.All(updates, t => Assert.True(t.Updated[0] && double.IsFinite(t.GradientNorm![0]) && t.GradientNorm[0] > 0));
        Assert.True(updates.Count(t => t.RewardAfter![0] > t.RewardBefore![0]) >= 2, "fp16 updates should mostly raise the reward");
    }

    [Fact]
    public void Schedules_parse_the_cli_forms()
    {
        Assert.Equal([0, 10, 20, 30, 40], Updated(DateSchedule.Parse("10"), 50));
        Assert.Equal(Enumerable.Range(0, 50), Updated(DateSchedule.Parse("1"), 50));
        Assert.Equal([0, 10, 20, 30, 40], Updated(DateSchedule.Parse("10%"), 50));
        Assert.Equal([0, 2, 4, 6, 8, 10, 12, 14, 16, 18], Updated(DateSchedule.Parse("0.5"), 20));
        Assert.Equal([3, 7], Updated(DateSchedule.Parse("7,3"), 50));
        Assert.Throws<FormatException>(() => DateSchedule.Parse("often"));
        Assert.Throws<ArgumentOutOfRangeException>(() => DateSchedule.Parse("0"));
    }

    private static int[] Updated(DateSchedule schedule, int steps) => [.. Enumerable.Range(0, steps).Where(i => schedule.Updates(i, steps))];

    private static double Distance(FloatTensor a, FloatTensor b) =>
        Math.Sqrt(a.Data.Zip(b.Data, (x, y) => (x - y) * (double)(x - y)).Sum());

    /// <summary>At one step: the composed gradient and central differences of h(c) at the live sampling state.</summary>
    private sealed class GradientProbe(DateGradient gradient, int step) : INoisePredictor
    {
        public bool Checked { get; private set; }

        public double Analytic { get; private set; }

        public double Numeric { get; private set; }

        public double DirectionalRelativeError { get; private set; }

        public double WorstCoordinateError { get; private set; }

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
            var uncond = new float[context.Latents.Length];
            context.PredictNoise(context.Embeddings.Unconditional, uncond);
            var (_, g) = gradient.Compute(context, c, uncond, []);
            var rng = new Random(5);
            var direction = c.Data.Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
            const float h = 1e-2f;
            double H(float[] d, float scale)
            {
                var moved = new FloatTensor(c.Data.Select((v, i) => v + (scale * d[i])).ToArray(), c.Shape);
                return gradient.Evaluate(context, moved, uncond)[0];
            }

            Numeric = (H(direction, h) - H(direction, -h)) / (2 * h);
            Analytic = g.Data.Zip(direction, (a, b) => (double)a * b).Sum();
            var norm = Math.Sqrt(g.Data.Sum(v => (double)v * v));
            DirectionalRelativeError = Math.Abs(Analytic - Numeric) / Math.Max(0.5 * norm, Math.Max(Math.Abs(Analytic), Math.Abs(Numeric)));

            var scale = g.Data.Max(v => Math.Abs(v));
            foreach (var index in new[] { Array.IndexOf(g.Data, g.Data.MaxBy(Math.Abs)), 5, 40 })
            {
                var unit = new float[c.Length];
                unit[index] = 1f;
                var fd = (H(unit, 5e-2f) - H(unit, -5e-2f)) / 0.1;
                WorstCoordinateError = Math.Max(WorstCoordinateError, Math.Abs(fd - g.Data[index]) / scale);
            }

            Checked = true;
        }
    }
}
