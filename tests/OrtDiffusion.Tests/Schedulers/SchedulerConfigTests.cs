using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Tests.Schedulers;

/// <summary>Reading diffusers scheduler configs: real files, class defaults, and bad values.</summary>
public sealed class SchedulerConfigTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "schedulers", name);

    [Fact]
    public void ReadsTheStableDiffusion15File()
    {
        // Expected values: the published runwayml/stable-diffusion-v1-5 scheduler_config.json.
        var c = SchedulerConfig.Load(Fixture("sd15_scheduler_config.json"));
        Assert.Equal("PNDMScheduler", c.ClassName);
        Assert.Equal(0.012, c.BetaEnd);
        Assert.Equal(BetaSchedule.ScaledLinear, c.BetaSchedule);
        Assert.Equal(0.00085, c.BetaStart);
        Assert.Equal(1000, c.NumTrainTimesteps);
        Assert.False(c.SetAlphaToOne);
        Assert.True(c.SkipPrkSteps);
        Assert.Equal(1, c.StepsOffset);
        Assert.Null(c.TrainedBetas);
        Assert.False(c.ClipSample);
        Assert.Null(c.TimestepSpacing); // absent from the file
        Assert.EndsWith("sd15_scheduler_config.json", c.Source);
    }

    [Fact]
    public void StableDiffusion15FactoryEqualsTheFile()
    {
        var file = SchedulerConfig.Load(Fixture("sd15_scheduler_config.json"));
        var factory = SchedulerConfig.StableDiffusion15;
        Assert.Equal(factory, file with { Source = null });
    }

    [Fact]
    public void ReadsThePixArtFileWithPythonInfinity()
    {
        var c = SchedulerConfig.Load(Fixture("pixart_scheduler_config.json"));
        Assert.Equal(double.NegativeInfinity, c.LambdaMinClipped);
        Assert.Equal("DPMSolverMultistepScheduler", c.ClassName);
        Assert.Equal(2, c.SolverOrder);
        Assert.Equal(TimestepSpacing.Linspace, c.TimestepSpacing);
        var fromFile = SchedulerFactory.Create(c);
        var fromFactory = SchedulerFactory.Create(SchedulerConfig.PixArtAlpha);
        fromFile.SetTimesteps(20);
        fromFactory.SetTimesteps(20);
        Assert.IsType<DpmSolverMultistepScheduler>(fromFile);
        Assert.Equal(fromFactory.Timesteps, fromFile.Timesteps);
        Assert.Equal(fromFactory.Sigmas!, fromFile.Sigmas!);
    }

    [Fact]
    public void MissingSpacingTakesEachClassDefault()
    {
        // diffusers: DDIM and PNDM default to "leading" (SD v1.5: 951, 901, … with steps_offset 1),
        // LMS, Euler and DPM-Solver to "linspace" (999 first).
        var c = SchedulerConfig.StableDiffusion15;
        Assert.Equal(TimestepSpacing.Leading, c.TimestepSpacingFor(SchedulerKind.Ddim));
        Assert.Equal(TimestepSpacing.Leading, c.TimestepSpacingFor(SchedulerKind.Pndm));
        foreach (var name in new[] { "ddim", "pndm", "lms", "euler", "dpm++" })
        {
            var s = SchedulerFactory.Create(name, c);
            s.SetTimesteps(20);
            Assert.Equal(name is "ddim" or "pndm" ? 951f : 999f, s.Timesteps[0]);
        }
    }

    [Fact]
    public void ClassSpecificBooleanDefaults()
    {
        var empty = SchedulerConfig.Parse("{}");
        Assert.True(empty.SetAlphaToOneFor(SchedulerKind.Ddim));
        Assert.False(empty.SetAlphaToOneFor(SchedulerKind.Pndm));
        Assert.True(empty.ClipSampleFor(SchedulerKind.Ddim));
        Assert.False(empty.ClipSampleFor(SchedulerKind.Euler));
        Assert.False(SchedulerFactory.Create("ddim", empty).HasStepDerivatives); // clip_sample defaults to true for DDIM
        Assert.True(SchedulerFactory.Create("ddim", SchedulerConfig.StableDiffusion15).HasStepDerivatives);
    }

    [Fact]
    public void UnknownKeysAndNullsAreIgnored()
    {
        var c = SchedulerConfig.Parse("""{"foo": [1, {"x": NaN}], "use_karras_sigmas": null, "beta_end": null, "variance_type": null, "clip_sample": true}""");
        Assert.False(c.UseKarrasSigmas);
        Assert.Equal(0.02, c.BetaEnd);
        Assert.True(c.ClipSample);
    }

    [Fact]
    public void ReadsAliasesAndIntegralFloats()
    {
        var c = SchedulerConfig.Parse("""{"prediction_type": "original_sample", "num_train_timesteps": 1000.0, "solver_type": "bh2", "algorithm_type": "deis"}""");
        Assert.Equal(PredictionType.Sample, c.PredictionType);
        Assert.Equal(1000, c.NumTrainTimesteps);
        Assert.Equal(DpmSolverType.Midpoint, c.SolverType);
        Assert.Equal(DpmAlgorithmType.DpmSolverPlusPlus, c.AlgorithmType);
    }

    [Fact]
    public void TrainedBetasReplaceTheSchedule()
    {
        // Constant betas 0.01 over 10 steps: ᾱ_t = 0.99^(t+1), so DDIM's AddNoise of (x₀ = 1, ε = 0)
        // at timestep t gives √ᾱ_t. Linspace timesteps for 10 steps of 10 are 9 … 0.
        var c = SchedulerConfig.Parse("""{"num_train_timesteps": 10, "trained_betas": [0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01,0.01], "timestep_spacing": "linspace"}""");
        var s = SchedulerFactory.Create("ddim", c);
        s.SetTimesteps(10);
        var result = new float[1];
        for (var i = 0; i < 10; i++)
        {
            s.AddNoise([1f], [0f], i, result);
            var t = (int)s.Timesteps[i];
            Assert.Equal(9 - i, t);
            Assert.Equal(Math.Sqrt(Math.Pow(0.99, t + 1)), result[0], tolerance: 1e-6);
        }
    }

    [Theory]
    [InlineData("""{"beta_start": "abc"}""", "beta_start", "expected a number")]
    [InlineData("""{"beta_schedule": "cubic"}""", "beta_schedule", "\"scaled_linear\"")]
    [InlineData("""{"prediction_type": 3}""", "prediction_type", "the number 3")]
    [InlineData("""{"num_train_timesteps": 10.5}""", "num_train_timesteps", "an integer")]
    [InlineData("""{"skip_prk_steps": "yes"}""", "skip_prk_steps", "true or false")]
    [InlineData("""{"trained_betas": 0.1}""", "trained_betas", "an array")]
    [InlineData("""{"trained_betas": [0.1, "x"]}""", "trained_betas[1]", "expected a number")]
    [InlineData("""{"timestep_spacing": "even"}""", "timestep_spacing", "\"trailing\"")]
    [InlineData("""[1, 2]""", "(file)", "JSON object")]
    [InlineData("""{"beta_end": 0.02,""", "(file)", "not valid JSON")]
    public void BadValuesNameTheKeyAndTheFile(string json, string key, string fragment)
    {
        var e = Assert.Throws<SchedulerConfigException>(() => SchedulerConfig.Parse(json, "models/x/scheduler_config.json"));
        Assert.Equal(key, e.Key);
        Assert.Contains($"'{key}'", e.Message);
        Assert.Contains("'models/x/scheduler_config.json'", e.Message);
        Assert.Contains(fragment, e.Message);
    }

    [Theory]
    [InlineData("ddim", """{"num_train_timesteps": 1}""", "num_train_timesteps")]
    [InlineData("ddim", """{"beta_end": 1.5}""", "beta_end")]
    [InlineData("ddim", """{"num_train_timesteps": 3, "trained_betas": [0.1, 0.2]}""", "trained_betas")]
    [InlineData("ddim", """{"trained_betas": [0.1, 1.2], "num_train_timesteps": 2}""", "trained_betas")]
    [InlineData("ddim", """{"steps_offset": -1}""", "steps_offset")]
    [InlineData("ddim", """{"clip_sample_range": 0}""", "clip_sample_range")]
    [InlineData("ddim", """{"dynamic_thresholding_ratio": 1.5}""", "dynamic_thresholding_ratio")]
    [InlineData("ddim", """{"sample_max_value": -1}""", "sample_max_value")]
    [InlineData("euler", """{"sigma_min": 0}""", "sigma_min")]
    [InlineData("pndm", """{"prediction_type": "sample"}""", "prediction_type")]
    [InlineData("euler", """{"interpolation_type": "log_linear"}""", "interpolation_type")]
    [InlineData("euler", """{"use_exponential_sigmas": true}""", "use_exponential_sigmas")]
    [InlineData("euler", """{"timestep_type": "continuous"}""", "timestep_type")]
    [InlineData("dpm++", """{"solver_order": 4}""", "solver_order")]
    [InlineData("dpm++", """{"algorithm_type": "dpmsolver"}""", "final_sigmas_type")]
    [InlineData("dpm++", """{"algorithm_type": "sde-dpmsolver++"}""", "algorithm_type")]
    [InlineData("dpm++", """{"use_lu_lambdas": true}""", "use_lu_lambdas")]
    [InlineData("dpm++", """{"lambda_min_clipped": NaN}""", "lambda_min_clipped")]
    [InlineData("lms", """{"prediction_type": "flow_prediction"}""", "prediction_type")]
    public void ValuesASchedulerCannotUseAreRefusedWhenItIsBuilt(string scheduler, string json, string key)
    {
        var config = SchedulerConfig.Parse(json, "cfg.json");
        var e = Assert.Throws<SchedulerConfigException>(() => SchedulerFactory.Create(scheduler, config));
        Assert.Equal(key, e.Key);
        Assert.Contains("'cfg.json'", e.Message);
    }

    [Fact]
    public void SettingsOfOtherClassesDoNotStopAScheduler()
    {
        // An Euler config with exponential sigmas still builds DDIM, which has no such setting (as in diffusers).
        var config = SchedulerConfig.Parse("""{"use_exponential_sigmas": true, "interpolation_type": "log_linear"}""");
        var ddim = SchedulerFactory.Create("ddim", config);
        ddim.SetTimesteps(10);
        Assert.Equal(10, ddim.Timesteps.Count);
    }

    [Fact]
    public void MissingFileIsReportedWithItsPath()
    {
        var e = Assert.Throws<FileNotFoundException>(() => SchedulerConfig.Load("/nonexistent/scheduler_config.json"));
        Assert.Contains("/nonexistent/scheduler_config.json", e.Message);
    }

    [Fact]
    public void InfinityInsideStringsIsLeftAlone()
    {
        var c = SchedulerConfig.Parse("""{"_class_name": "Infinity\"NaN", "lambda_min_clipped": -Infinity}""");
        Assert.Equal("Infinity\"NaN", c.ClassName);
        Assert.Equal(double.NegativeInfinity, c.LambdaMinClipped);
    }
}
