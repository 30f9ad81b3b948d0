using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Tests.Schedulers;

/// <summary>
/// Timesteps and sigmas of every scheduler for the real Stable Diffusion v1.5 config file at 20
/// and 50 steps, and of DPM-Solver++ with PixArt-α's config at 20 steps, against
/// make_reference.py (cases "&lt;kind&gt;_sd15_&lt;steps&gt;" and "dpm_pixart_20"), plus a few
/// values known from diffusers' documentation and issues.
/// </summary>
public sealed class RealConfigScheduleTests
{
    private static SchedulerConfig Sd15 =>
        SchedulerConfig.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "schedulers", "sd15_scheduler_config.json"));

    [Theory]
    [InlineData("ddim", "ddim", 20)]
    [InlineData("ddim", "ddim", 50)]
    [InlineData("pndm", "pndm", 20)]
    [InlineData("pndm", "pndm", 50)]
    [InlineData("lms", "lms", 20)]
    [InlineData("lms", "lms", 50)]
    [InlineData("euler", "euler", 20)]
    [InlineData("euler", "euler", 50)]
    [InlineData("dpm++", "dpm", 20)]
    [InlineData("dpm++", "dpm", 50)]
    public void StableDiffusion15(string name, string referenceKind, int steps)
    {
        var s = SchedulerFactory.Create(name, Sd15);
        s.SetTimesteps(steps);
        AssertMatchesReference(s, $"{referenceKind}_sd15_{steps}");
        Assert.Equal(steps, s.NumInferenceSteps);
    }

    [Fact]
    public void PixArtAlphaDpmSolver20()
    {
        var s = SchedulerFactory.Create(SchedulerConfig.Load(Path.Combine(AppContext.BaseDirectory, "Fixtures", "schedulers", "pixart_scheduler_config.json")));
        s.SetTimesteps(20);
        AssertMatchesReference(s, "dpm_pixart_20");

        // linspace(0, 999, 21) rounded, noisiest first, without the final 0.
        Assert.Equal([999f, 949f, 899f, 849f, 799f, 749f, 699f, 649f, 599f, 549f, 500f, 450f, 400f, 350f, 300f, 250f, 200f, 150f, 100f, 50f], s.Timesteps);
        Assert.Equal(0f, s.Sigmas![^1]);
    }

    [Theory]
    [InlineData("dpm_sd15_50")]
    [InlineData("dpm_pixart_20")]
    [InlineData("dpm_trailing")]
    public void TableSigmasAreBitExact(string caseName)
    {
        // DPM-Solver's sigmas (without Karras) are entries of the training table √((1−ᾱ)/ᾱ), which the
        // reference builds with torch float32 exactly as diffusers does (torch.linspace, torch.cumprod).
        // Bit equality shows the betas and ᾱ are reproduced to the last bit, not just closely.
        var c = SchedulerReference.Case(caseName);
        var s = SchedulerReference.CreateScheduler(c);
        Assert.Equal(SchedulerReference.Floats(c.GetProperty("sigmas")), s.Sigmas!);
    }

    [Fact]
    public void KnownStableDiffusionValues()
    {
        // PNDM with skip_prk_steps repeats its second timestep (diffusers' pipeline_pndm docs).
        var pndm = SchedulerFactory.Create("pndm", Sd15);
        pndm.SetTimesteps(50);
        Assert.Equal(51, pndm.Timesteps.Count);
        Assert.Equal([981f, 961f, 961f, 941f], pndm.Timesteps.Take(4));
        Assert.Equal(1f, pndm.Timesteps[^1]);

        // LMS / Euler linspace timesteps are fractional: 999·(48/49) = 978.6122…
        var lms = SchedulerFactory.Create("lms", Sd15);
        lms.SetTimesteps(50);
        Assert.Equal((float)(999.0 * 48 / 49), lms.Timesteps[1]);
        Assert.Equal(0f, lms.Timesteps[^1]);

        // Euler's initial noise scale for SD v1.5 is σ_max = √((1 − ᾱ₉₉₉)/ᾱ₉₉₉) ≈ 14.6146.
        var euler = SchedulerFactory.Create("euler", Sd15);
        euler.SetTimesteps(30);
        Assert.Equal(14.6146, euler.InitNoiseSigma, tolerance: 1e-4);
        Assert.Equal(31, euler.Sigmas!.Count);
    }

    private static void AssertMatchesReference(IScheduler s, string caseName)
    {
        var c = SchedulerReference.Case(caseName);
        var timesteps = SchedulerReference.Doubles(c.GetProperty("timesteps"));
        Assert.Equal(timesteps.Length, s.Timesteps.Count);
        Assert.True(ReferenceLoopTests.MaxDeviation(timesteps, s.Timesteps) <= ReferenceLoopTests.SigmaTolerance);
        if (c.GetProperty("sigmas").ValueKind == System.Text.Json.JsonValueKind.Null)
        {
            Assert.Null(s.Sigmas);
        }
        else
        {
            Assert.True(ReferenceLoopTests.MaxDeviation(SchedulerReference.Doubles(c.GetProperty("sigmas")), s.Sigmas!) <= ReferenceLoopTests.SigmaTolerance);
        }

        Assert.Equal(c.GetProperty("init_noise_sigma").GetDouble(), s.InitNoiseSigma, tolerance: 1e-5);
    }
}
