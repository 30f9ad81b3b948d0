using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Tests.Schedulers;

/// <summary>Picking schedulers by CLI name, kind and diffusers class name.</summary>
public sealed class SchedulerFactoryTests
{
    [Theory]
    [InlineData("ddim", typeof(DdimScheduler), SchedulerKind.Ddim)]
    [InlineData("PNDM", typeof(PndmScheduler), SchedulerKind.Pndm)]
    [InlineData("lms", typeof(LmsDiscreteScheduler), SchedulerKind.Lms)]
    [InlineData("euler", typeof(EulerDiscreteScheduler), SchedulerKind.Euler)]
    [InlineData("dpm++", typeof(DpmSolverMultistepScheduler), SchedulerKind.DpmSolverMultistep)]
    [InlineData("DPMSolverMultistepScheduler", typeof(DpmSolverMultistepScheduler), SchedulerKind.DpmSolverMultistep)]
    public void CreatesByName(string name, Type type, SchedulerKind kind)
    {
        var s = SchedulerFactory.Create(name, SchedulerConfig.StableDiffusion15);
        Assert.IsType(type, s);
        Assert.Equal(kind, s.Kind);
        Assert.Same(SchedulerConfig.StableDiffusion15, s.Config);
    }

    [Fact]
    public void NamesAreTheCliValues() =>
        Assert.Equal(["ddim", "pndm", "lms", "euler", "dpm++"], SchedulerFactory.Names);

    [Fact]
    public void UnknownNameListsTheKnownOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => SchedulerFactory.Create("heun", SchedulerConfig.StableDiffusion15));
        Assert.Contains("'heun'", e.Message);
        Assert.Contains("dpm++", e.Message);
    }

    [Fact]
    public void CreatesFromClassName()
    {
        Assert.IsType<PndmScheduler>(SchedulerFactory.Create(SchedulerConfig.StableDiffusion15));
        foreach (var kind in Enum.GetValues<SchedulerKind>())
        {
            var config = new SchedulerConfig { ClassName = SchedulerFactory.ClassNameOf(kind) };
            Assert.Equal(kind, SchedulerFactory.Create(config).Kind);
        }
    }

    [Fact]
    public void UnsupportedOrMissingClassNameIsAConfigError()
    {
        var e = Assert.Throws<SchedulerConfigException>(() =>
            SchedulerFactory.Create(SchedulerConfig.Parse("""{"_class_name": "UniPCMultistepScheduler"}""", "s.json")));
        Assert.Equal("_class_name", e.Key);
        Assert.Contains("UniPCMultistepScheduler", e.Message);
        Assert.Throws<SchedulerConfigException>(() => SchedulerFactory.Create(new SchedulerConfig()));
    }
}
