using System.Numerics.Tensors;
using OrtDiffusion.Ipgo;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Randomness;
using OrtDiffusion.Rewards;
using OrtDiffusion.Schedulers;
using OrtDiffusion.Tensors;
using OrtDiffusion.Tests.Date;
using OrtDiffusion.Tests.TinyModels;

namespace OrtDiffusion.Tests.Ipgo;

/// <summary>
/// The composed IPGO gradient on the tiny zoo (aesthetic reward through its VJP graph; 6 steps; 64×64) against central
/// differences of the truncated objective computed here through the forward models only: the same seeded noise is
/// sampled with the plain UNet up to the last K_t steps (those outputs are constants of the objective, so they are
/// computed once), then the last K_t steps run with the perturbed c on clones of the scheduler, the latents are
/// decoded, clamped to [0, 1] and scored.
/// </summary>
[Collection(ZooCollection.Name)]
public sealed class IpgoGradientTests(ZooFixture zoo, Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Prompt = "a photo of a cat";

    internal static IpgoOptions Options(string scheduler, int truncate) => IpgoOptions.ForTextWidth(32) with
    {
        Steps = 6,
        Scheduler = scheduler,
        Truncate = truncate,
        Width = 64,
        Height = 64,
        Seed = 3,
        PrefixLength = 3,
        SuffixLength = 3,
    };

    // The step h: the reward is float32 near 5.5 (quantum ~5·10⁻⁷), so h·(derivative) must rise above rounding, while
    // the clamp to [0, 1] makes the objective piecewise smooth, so h must stay small (the quotient drifts with h where
    // pixels cross the bounds). Through one step the derivative is ~10⁻⁴ and h = 0.1 is needed (the quotients are flat
    // from h = 0.03 to 0.3); through two or three it is 10–100× larger and h = 0.01 is used.
    [Theory]
    [InlineData("lms", 1, 0.1f)]
    [InlineData("lms", 2, 0.01f)]
    [InlineData("ddim", 1, 0.1f)]
    [InlineData("ddim", 2, 0.01f)]
    [InlineData("pndm", 2, 0.005f)]  // PLMS: x_T takes 55/24·ε̂_{T−1} − 59/24·ε̂_{T−2} + …; more pixels near the clamp here
    [InlineData("dpm++", 3, 0.01f)]  // without the history derivatives this case is off by 15%
    public void Reward_gradient_with_respect_to_c_matches_central_differences(string scheduler, int truncate, float h)
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        var options = Options(scheduler, truncate);
        var tokens = new IpgoTrainer(pipeline, reward).CreateTokens(options, [Prompt]);
        var e = IpgoText.EncodePrompt(pipeline.Model.TextEncoder, Prompt, 3, 3);
        var c = IpgoText.Concatenate(tokens.Prefix.Tokens(), e, tokens.Suffix.Tokens());
        var u = IpgoText.EncodeUnconditional(pipeline.Model.TextEncoder, string.Empty, (int)c.Shape[1]);

        var sample = new IpgoSampler(pipeline.Model, reward, options).Run(c, u, Prompt, default);
        var objective = new TruncatedObjective(pipeline, reward, options, c, u);
        Assert.Equal(objective.Reward(c), sample.Reward, 3);

        var rng = new Random(5);
        var direction = c.Data.Select(_ => (float)((rng.NextDouble() * 2) - 1)).ToArray();
        var numeric = (objective.Reward(Moved(c, direction, h)) - objective.Reward(Moved(c, direction, -h))) / (2 * h);
        var analytic = sample.Gradient.Data.Zip(direction, (a, b) => (double)a * b).Sum();
        var norm = Math.Sqrt(sample.Gradient.Data.Sum(v => (double)v * v));
        var relative = Math.Abs(analytic - numeric) / Math.Max(0.5 * norm, Math.Max(Math.Abs(analytic), Math.Abs(numeric)));

        // Single coordinates: the largest gradient entry and two entries in the prefix rows.
        var worst = 0.0;
        var scale = sample.Gradient.Data.Max(Math.Abs);
        foreach (var index in new[] { Array.IndexOf(sample.Gradient.Data, sample.Gradient.Data.MaxBy(Math.Abs)), 5, 40 })
        {
            var unit = new float[c.Length];
            unit[index] = 1f;
            var fd = (objective.Reward(Moved(c, unit, 0.25f)) - objective.Reward(Moved(c, unit, -0.25f))) / 0.5;
            worst = Math.Max(worst, Math.Abs(fd - sample.Gradient.Data[index]) / scale);
        }

        output.WriteLine($"{scheduler} K_t={truncate}: analytic {analytic:G6}, numeric {numeric:G6}, directional error {relative:E2}, worst coordinate {worst:E2}, ‖g‖ {norm:G4}");
        Assert.True(relative < 1e-2, $"directional: analytic {analytic:G6} vs numeric {numeric:G6} (relative error {relative:E2})");
        Assert.True(worst < 2e-2, $"coordinates: worst error {worst:E2} of the gradient's scale");
    }

    [Theory]
    [InlineData("lms", 2, true)]
    [InlineData("ddim", 1, false)]
    public void Loss_gradient_with_respect_to_the_token_parameters_matches_central_differences(string scheduler, int truncate, bool rotation)
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        var options = Options(scheduler, truncate) with { Rotation = rotation, PenaltyWeight = 0.5 };
        var trainer = new IpgoTrainer(pipeline, reward);
        var tokens = trainer.CreateTokens(options, [Prompt]);
        var (loss, _, prefixGradient, suffixGradient) = trainer.LossAndGradient(tokens, 0);

        var e = IpgoText.EncodePrompt(pipeline.Model.TextEncoder, Prompt, 3, 3);
        var c0 = IpgoText.Concatenate(tokens.Prefix.Tokens(), e, tokens.Suffix.Tokens());
        var u = IpgoText.EncodeUnconditional(pipeline.Model.TextEncoder, string.Empty, (int)c0.Shape[1]);
        var objective = new TruncatedObjective(pipeline, reward, options, c0, u);
        double Loss(float[] p, float[] s)
        {
            var c = IpgoText.Concatenate(tokens.Prefix.Forward(p).Tokens, e, tokens.Suffix.Forward(s).Tokens);
            return -objective.Reward(c) + (options.PenaltyWeight * ConformityPenalty.Value(c, e));
        }

        Assert.Equal(Loss(tokens.Prefix.Parameters, tokens.Suffix.Parameters), loss, 3);

        // A random direction over every parameter except the diagonal of X (it only carries the column signs).
        var rng = new Random(9);
        float[] Direction(TokenModule m) => [.. Enumerable.Range(0, m.ParameterCount).Select(i =>
            i < m.BiasOffset && i / m.BasisSize == i % m.BasisSize ? 0f : (float)((rng.NextDouble() * 2) - 1))];
        var dp = Direction(tokens.Prefix);
        var ds = Direction(tokens.Suffix);
        const float h = 0.01f;
        float[] Move(float[] p, float[] d, float step) => [.. p.Zip(d, (a, b) => a + (step * b))];
        var numeric = (Loss(Move(tokens.Prefix.Parameters, dp, h), Move(tokens.Suffix.Parameters, ds, h))
            - Loss(Move(tokens.Prefix.Parameters, dp, -h), Move(tokens.Suffix.Parameters, ds, -h))) / (2 * h);
        var analytic = prefixGradient.Zip(dp, (a, b) => (double)a * b).Sum() + suffixGradient.Zip(ds, (a, b) => (double)a * b).Sum();
        var norm = Math.Sqrt(prefixGradient.Concat(suffixGradient).Sum(v => (double)v * v));
        var relative = Math.Abs(analytic - numeric) / Math.Max(0.5 * norm, Math.Max(Math.Abs(analytic), Math.Abs(numeric)));
        output.WriteLine($"{scheduler} K_t={truncate} rotation={rotation}: analytic {analytic:G6}, numeric {numeric:G6}, relative error {relative:E2}, ‖∇θ‖ {norm:G4}");
        Assert.True(relative < 1e-2, $"analytic {analytic:G6} vs numeric {numeric:G6} (relative error {relative:E2})");
    }

    private static FloatTensor Moved(FloatTensor c, float[] direction, float step) =>
        new([.. c.Data.Select((v, i) => v + (step * direction[i]))], c.Shape);

    /// <summary>The truncated objective reward(clamp(decode(x_T(c)))) with the pre-window UNet outputs fixed at their values for c₀.</summary>
    internal sealed class TruncatedObjective
    {
        private readonly StableDiffusionPipeline pipeline;
        private readonly IReward reward;
        private readonly IpgoOptions options;
        private readonly FloatTensor unconditional;
        private readonly IScheduler frozen;
        private readonly float[] latents;
        private readonly long[] shape;

        public TruncatedObjective(StableDiffusionPipeline pipeline, IReward reward, IpgoOptions options, FloatTensor c0, FloatTensor unconditional)
        {
            this.pipeline = pipeline;
            this.reward = reward;
            this.options = options;
            this.unconditional = unconditional;
            frozen = SchedulerFactory.Create(options.Scheduler, pipeline.Model.SchedulerConfig);
            frozen.SetTimesteps(options.Steps);
            shape = [1, 4, options.Height / 8, options.Width / 8];
            latents = new TorchGenerator(options.Seed).Randn(1, 4, options.Height / 8, options.Width / 8);
            TensorPrimitives.Multiply(latents, frozen.InitNoiseSigma, latents);
            for (var i = 0; i < frozen.Timesteps.Count - options.Truncate; i++)
            {
                Step(frozen, latents, i, c0);
            }
        }

        public float Reward(FloatTensor c)
        {
            var scheduler = frozen.Clone();
            var x = (float[])latents.Clone();
            for (var i = scheduler.Timesteps.Count - options.Truncate; i < scheduler.Timesteps.Count; i++)
            {
                Step(scheduler, x, i, c);
            }

            var image = pipeline.Model.VaeDecoder.Decode(new FloatTensor(x, shape));
            var pixels = image.Data.Select(v => Math.Clamp((v * 0.5f) + 0.5f, 0f, 1f)).ToArray();
            return reward.Score(new FloatTensor(pixels, image.Shape), Prompt)[0];
        }

        // x ← step(ε_u + w(ε_c − ε_u)) with one batched [uncond; cond] UNet call.
        private void Step(IScheduler scheduler, float[] x, int i, FloatTensor c)
        {
            var n = x.Length;
            var input = new float[2 * n];
            scheduler.ScaleModelInput(x, input.AsSpan(0, n), i);
            input.AsSpan(0, n).CopyTo(input.AsSpan(n));
            var noise = new float[2 * n];
            pipeline.Model.Unet.Predict(input, [2, 4, shape[2], shape[3]], scheduler.Timesteps[i], FloatTensor.Concat(unconditional, c), noise);
            var guided = new float[n];
            ClassifierFreeGuidance.Combine(noise.AsSpan(0, n), noise.AsSpan(n), options.GuidanceScale, guided);
            scheduler.Step(guided, i, x, x, []);
        }
    }
}
