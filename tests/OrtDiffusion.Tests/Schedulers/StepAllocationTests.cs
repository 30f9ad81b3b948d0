using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Tests.Schedulers;

/// <summary>After a warm-up run, a whole denoising loop allocates nothing on the managed heap.</summary>
public sealed class StepAllocationTests
{
    public static TheoryData<string> Variants =>
    [
        "ddim", "ddim-eta", "ddim-thresholding", "pndm", "pndm-prk", "lms", "euler", "euler-churn", "dpm++", "dpm++-order3", "dpm++-thresholding",
    ];

    [Theory]
    [MemberData(nameof(Variants))]
    public void StepsDoNotAllocate(string variant)
    {
        var config = SchedulerConfig.StableDiffusion15;
        config = variant switch
        {
            "ddim-thresholding" or "dpm++-thresholding" => config with { Thresholding = true },
            "pndm-prk" => config with { SkipPrkSteps = false },
            "dpm++-order3" => config with { SolverOrder = 3 },
            _ => config,
        };
        var scheduler = SchedulerFactory.Create(variant.Split('-')[0], config);
        if (scheduler is DdimScheduler ddim && variant == "ddim-eta")
        {
            ddim.Eta = 1;
        }

        if (scheduler is EulerDiscreteScheduler euler && variant == "euler-churn")
        {
            euler.SChurn = 2;
        }

        scheduler.SetTimesteps(20);
        const int Length = 2 * 4 * 16 * 16;
        var x = new float[Length];
        var input = new float[Length];
        var m = new float[Length];
        var x0 = new float[Length];
        var noise = new FixedNoise();
        var start = new float[Length];
        for (var j = 0; j < Length; j++)
        {
            start[j] = MathF.Sin(0.7f * j) * scheduler.InitNoiseSigma;
        }

        Loop(); // warm-up: buffers sized, code jitted
        scheduler.Reset();
        var before = GC.GetAllocatedBytesForCurrentThread();
        Loop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);

        void Loop()
        {
            start.CopyTo(x, 0);
            var timesteps = scheduler.Timesteps;
            for (var i = 0; i < timesteps.Count; i++)
            {
                scheduler.ScaleModelInput(x, input, i);
                SchedulerReference.Model(input, timesteps[i], m);
                if (scheduler.HasStepDerivatives)
                {
                    _ = scheduler.GetStepDerivatives(i);
                }

                scheduler.Step(m, i, x, x, x0, batchSize: 2, noise);
            }
        }
    }
}
