using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Tests.Schedulers;

/// <summary>
/// Each step's derivatives against central finite differences of <see cref="IScheduler.Step"/>:
/// at every step of every affine reference configuration, two clones of the scheduler (same
/// history) step with the model output, or the sample, moved by ±h; the difference quotient of
/// the previous sample and of x̄₀ must equal the reported scalar in every element.
/// </summary>
public sealed class StepDerivativeTests
{
    // The steps are affine, so the quotient is exact up to float32 rounding, which grows with the
    // values (x̄₀ reaches ~300, and 10⁴ for the cosine schedule's σ_max ≈ 2·10⁴); a step h as
    // large as the inputs keeps that rounding small relative to 2h.
    private const double Tolerance = 2e-4;

    public static TheoryData<string> AffineCases => [.. CaseNames(affine: true)];

    public static TheoryData<string> NonAffineCases => [.. CaseNames(affine: false)];

    private static List<string> CaseNames(bool affine) =>
        [.. SchedulerReference.CaseNames.Where(n => SchedulerReference.CreateScheduler(SchedulerReference.Case(n)).HasStepDerivatives == affine)];

    [Theory]
    [MemberData(nameof(AffineCases))]
    public void DerivativesMatchCentralDifferences(string name)
    {
        var c = SchedulerReference.Case(name);
        var scheduler = SchedulerReference.CreateScheduler(c);
        var n = SchedulerReference.InitialNoise.Length;
        var start = c.TryGetProperty("strength", out var strength) ? scheduler.GetTimestepIndexForStrength(strength.GetDouble()) : 0;
        var x = SchedulerReference.InitialNoise.Select(v => v * scheduler.InitNoiseSigma).ToArray();
        var input = new float[n];
        var m = new float[n];
        var x0 = new float[n];
        for (var i = start; i < scheduler.Timesteps.Count; i++)
        {
            scheduler.ScaleModelInput(x, input, i);
            SchedulerReference.Model(input, scheduler.Timesteps[i], m);

            // Derivatives are asked for before the step (the first one before any step of the run).
            var d = scheduler.GetStepDerivatives(i);
            var (prevM, x0M) = Quotient(scheduler, i, m, x, perturbModel: true);
            var (prevX, x0X) = Quotient(scheduler, i, m, x, perturbModel: false);
            AssertAll(prevM, d.PrevWrtModelOutput, $"{name} step {i}: ∂prev/∂m");
            AssertAll(x0M, d.OriginalWrtModelOutput, $"{name} step {i}: ∂x̄₀/∂m");
            AssertAll(prevX, d.PrevWrtSample, $"{name} step {i}: ∂prev/∂x");
            AssertAll(x0X, d.OriginalWrtSample, $"{name} step {i}: ∂x̄₀/∂x");

            scheduler.Step(m, i, x, x, x0, SchedulerReference.BatchSize, new FixedNoise(i));
        }
    }

    [Theory]
    [MemberData(nameof(NonAffineCases))]
    public void ClippingOrThresholdingRefusesDerivatives(string name)
    {
        var scheduler = SchedulerReference.CreateScheduler(SchedulerReference.Case(name));
        var e = Assert.Throws<NotSupportedException>(() => scheduler.GetStepDerivatives(0));
        Assert.Matches("clip_sample|thresholding", e.Message);
    }

    [Fact]
    public void NonAffineCasesAreTheClippedAndThresholdedOnes() =>
        Assert.Equal(
            ["ddim_class_defaults", "ddim_clip_sample", "ddim_eta_clipped_output", "ddim_thresholding", "dpm_dpmsolver_thresholding", "dpm_thresholding"],
            CaseNames(affine: false).Order());

    [Fact]
    public void PlmsSecondStepIgnoresTheCurrentSample()
    {
        // PLMS's second call redoes the first step from the stored sample: ∂prev/∂x = 0 there,
        // and the model output enters with weight 1/2 (the Heun mean).
        var s = SchedulerFactory.Create("pndm", SchedulerConfig.StableDiffusion15);
        s.SetTimesteps(20);
        var x = new float[8];
        var m = new float[8];
        var first = s.GetStepDerivatives(0);
        s.Step(m, 0, x, x, []);
        var second = s.GetStepDerivatives(1);
        Assert.Equal(0, second.PrevWrtSample);
        Assert.Equal(first.PrevWrtModelOutput / 2, second.PrevWrtModelOutput, tolerance: 1e-12); // same transfer 951 → 901
        s.Step(m, 1, x, x, []);
        Assert.NotEqual(0, s.GetStepDerivatives(2).PrevWrtSample);
    }

    [Fact]
    public void DerivativesAreOnlyForTheNextStep()
    {
        var s = SchedulerFactory.Create("dpm++", SchedulerConfig.PixArtAlpha);
        s.SetTimesteps(10);
        var x = new float[4];
        s.Step(x.ToArray(), 3, x, x, []);
        Assert.Throws<InvalidOperationException>(() => s.GetStepDerivatives(5));
        _ = s.GetStepDerivatives(4);
    }

    private static (float[] Prev, float[] X0) Quotient(IScheduler scheduler, int i, float[] m, float[] x, bool perturbModel)
    {
        var n = m.Length;
        var h = Math.Max(1f, Math.Max(x.Max(Math.Abs), m.Max(Math.Abs)));
        var prev = new float[2][];
        var x0 = new float[2][];
        for (var k = 0; k < 2; k++)
        {
            var sign = k == 0 ? 1f : -1f;
            var clone = scheduler.Clone();
            var mm = perturbModel ? m.Select(v => v + sign * h).ToArray() : m;
            var xx = perturbModel ? x : x.Select(v => v + sign * h).ToArray();
            prev[k] = new float[n];
            x0[k] = new float[n];
            clone.Step(mm, i, xx, prev[k], x0[k], SchedulerReference.BatchSize, new FixedNoise(i));
        }

        return (
            [.. prev[0].Zip(prev[1], (a, b) => (a - b) / (2 * h))],
            [.. x0[0].Zip(x0[1], (a, b) => (a - b) / (2 * h))]);
    }

    private static void AssertAll(float[] quotient, double expected, string what)
    {
        foreach (var q in quotient)
        {
            Assert.True(
                Math.Abs(q - expected) <= Tolerance * Math.Max(1, Math.Abs(expected)),
                $"{what}: finite difference {q} vs reported {expected}");
        }
    }
}
