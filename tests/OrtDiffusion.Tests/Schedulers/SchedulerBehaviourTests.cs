using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Tests.Schedulers;

/// <summary>Run mechanics shared by all schedulers: in-place stepping, cloning, resets, ordering, argument checks, image-to-image.</summary>
public sealed class SchedulerBehaviourTests
{
    public static TheoryData<string> Names => [.. SchedulerFactory.Names];

    private static IScheduler Create(string name, int steps = 20)
    {
        var s = SchedulerFactory.Create(name, SchedulerConfig.StableDiffusion15);
        s.SetTimesteps(steps);
        return s;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void InPlaceStepsEqualSeparateBuffers(string name)
    {
        var z = SchedulerReference.InitialNoise;
        var a = Create(name);
        var b = Create(name);
        var inPlace = z.ToArray();
        var separate = z.ToArray();
        var m = new float[z.Length];
        var next = new float[z.Length];
        for (var i = 0; i < a.Timesteps.Count; i++)
        {
            SchedulerReference.Model(separate, a.Timesteps[i], m);
            a.Step(m, i, inPlace, inPlace, []);
            b.Step(m, i, separate, next, []);
            next.CopyTo(separate, 0);
            Assert.Equal(separate, inPlace);
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void CloneCarriesHistoryAndThenRunsIndependently(string name)
    {
        var s = Create(name);
        var x = SchedulerReference.InitialNoise.ToArray();
        var m = new float[x.Length];
        for (var i = 0; i < 5; i++)
        {
            SchedulerReference.Model(x, s.Timesteps[i], m);
            s.Step(m, i, x, x, []);
        }

        var clone = s.Clone();
        var y = x.ToArray();
        for (var i = 5; i < s.Timesteps.Count; i++)
        {
            SchedulerReference.Model(x, s.Timesteps[i], m);
            s.Step(m, i, x, x, []);
            SchedulerReference.Model(y, clone.Timesteps[i], m);
            clone.Step(m, i, y, y, []);
        }

        Assert.Equal(x, y);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ResetReproducesARun(string name)
    {
        var s = Create(name);
        float[] Run()
        {
            var x = SchedulerReference.InitialNoise.ToArray();
            var m = new float[x.Length];
            for (var i = 0; i < s.Timesteps.Count; i++)
            {
                SchedulerReference.Model(x, s.Timesteps[i], m);
                s.Step(m, i, x, x, []);
            }

            return x;
        }

        var first = Run();
        s.Reset();
        Assert.Equal(first, Run());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void StepsMustRunInOrder(string name)
    {
        var s = Create(name);
        var x = new float[4];
        s.Step(new float[4], 0, x, x, []);
        var e = Assert.Throws<InvalidOperationException>(() => s.Step(new float[4], 2, x, x, []));
        Assert.Contains("out of order", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.Step(new float[4], s.Timesteps.Count, x, x, []));
    }

    [Fact]
    public void SchedulerNeedsTimestepsFirst()
    {
        var s = SchedulerFactory.Create("euler", SchedulerConfig.StableDiffusion15);
        Assert.Empty(s.Timesteps);
        var e = Assert.Throws<InvalidOperationException>(() => s.Step(new float[4], 0, new float[4], new float[4], []));
        Assert.Contains("SetTimesteps", e.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => s.SetTimesteps(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.SetTimesteps(1001));
    }

    [Fact]
    public void ArgumentsAreChecked()
    {
        var s = Create("ddim");
        var x = new float[8];
        Assert.Throws<ArgumentException>(() => s.Step(new float[7], 0, x, new float[8], []));
        Assert.Throws<ArgumentException>(() => s.Step(new float[8], 0, x, new float[9], []));
        Assert.Throws<ArgumentException>(() => s.Step(new float[8], 0, x, new float[8], new float[3]));
        Assert.Throws<ArgumentException>(() => s.Step(new float[8], 0, x, new float[8], [], batchSize: 3));
        Assert.Throws<ArgumentException>(() => s.Step(new float[8], 0, x, x.AsSpan(1, 7).ToArray().AsSpan(), []));
        var shared = new float[16];
        Assert.Throws<ArgumentException>(() => s.Step(new float[8], 0, shared.AsSpan(0, 8), shared.AsSpan(4, 8), []));
        Assert.Throws<ArgumentException>(() => s.Step(shared.AsSpan(0, 8), 0, x, shared.AsSpan(0, 8), []));
    }

    [Fact]
    public void StochasticStepsNeedANoiseSource()
    {
        var ddim = (DdimScheduler)Create("ddim");
        ddim.Eta = 0.5;
        var x = new float[4];
        var e = Assert.Throws<InvalidOperationException>(() => ddim.Step(new float[4], 0, x, x, []));
        Assert.Contains("Eta", e.Message);

        var euler = (EulerDiscreteScheduler)Create("euler");
        euler.SChurn = 1;
        Assert.Throws<InvalidOperationException>(() => euler.Step(new float[4], 0, x, x, []));
        Assert.Throws<ArgumentOutOfRangeException>(() => euler.SChurn = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => ddim.Eta = double.NaN);
    }

    [Fact]
    public void StartIndexForStrengthFollowsDiffusersImg2Img()
    {
        // init = min(int(steps·strength), steps); start = max(steps − init, 0).
        var s = Create("ddim", 50);
        Assert.Equal(20, s.GetTimestepIndexForStrength(0.6));
        Assert.Equal(0, s.GetTimestepIndexForStrength(1.0));
        Assert.Equal(49, s.GetTimestepIndexForStrength(0.02));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.GetTimestepIndexForStrength(0.01)); // int(0.5) = 0 steps
        Assert.Throws<ArgumentOutOfRangeException>(() => s.GetTimestepIndexForStrength(1.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.GetTimestepIndexForStrength(0));

        // PNDM's list is one longer, but diffusers slices it at the same index (its order is 1).
        var pndm = Create("pndm", 50);
        Assert.Equal(25, pndm.GetTimestepIndexForStrength(0.5));
        Assert.Equal(801f, pndm.Timesteps[10]);
    }

    [Fact]
    public void RungeKuttaPndmOnlyStartsAtZero()
    {
        var s = SchedulerFactory.Create("pndm", SchedulerConfig.StableDiffusion15 with { SkipPrkSteps = false });
        s.SetTimesteps(20);
        Assert.Equal(29, s.Timesteps.Count);
        Assert.Equal(0, s.GetTimestepIndexForStrength(1.0));
        Assert.Throws<NotSupportedException>(() => s.GetTimestepIndexForStrength(0.5));
        Assert.Throws<NotSupportedException>(() => s.Step(new float[4], 3, new float[4], new float[4], []));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.SetTimesteps(3));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ScaleModelInputMultipliesByModelInputScale(string name)
    {
        var s = Create(name);
        var x = SchedulerReference.InitialNoise;
        var scaled = new float[x.Length];
        for (var i = 0; i < s.Timesteps.Count; i += 7)
        {
            s.ScaleModelInput(x, scaled, i);
            var k = s.ModelInputScale(i);
            for (var j = 0; j < x.Length; j++)
            {
                Assert.Equal(x[j] * k, scaled[j], 5e-6f);
            }

            // LMS and Euler (σ-space samples) scale by 1/√(σ² + 1); the others pass the sample through.
            var expected = s.Kind is SchedulerKind.Lms or SchedulerKind.Euler ? 1 / Math.Sqrt(s.Sigmas![i] * (double)s.Sigmas[i] + 1) : 1.0;
            Assert.Equal(expected, k, tolerance: 1e-6);
        }
    }

    [Fact]
    public void TrailingStepCountsThatNumpyMiscountsAreRefused()
    {
        // numpy.arange(1000, 0, −1000/61) has 62 entries, the last rounding to timestep −1.
        var s = SchedulerFactory.Create("ddim", SchedulerConfig.StableDiffusion15 with { TimestepSpacing = TimestepSpacing.Trailing });
        var e = Assert.Throws<NotSupportedException>(() => s.SetTimesteps(61));
        Assert.Contains("61", e.Message);
        s.SetTimesteps(60);
        Assert.Equal(60, s.Timesteps.Count);
    }

    [Fact]
    public void AddNoiseAcceptsTheSameMemoryAsDestination()
    {
        var s = Create("euler");
        var x = new float[] { 1, 2, 3 };
        s.AddNoise(x, [1, 1, 1], 0, x);
        var sigma = s.Sigmas![0];
        Assert.Equal([1 + sigma, 2 + sigma, 3 + sigma], x);
    }
}
