using System.Text.Json;
using OrtDiffusion.Schedulers;
using Xunit.Abstractions;

namespace OrtDiffusion.Tests.Schedulers;

/// <summary>
/// Every scheduler variant against make_reference.py: timesteps, sigmas, the initial noise
/// scale, and a full denoising loop on the analytic model (final sample, last x̄₀, and the
/// sums of the sample and x̄₀ after every step).
/// </summary>
public sealed class ReferenceLoopTests(ITestOutputHelper output)
{
    /// <summary>
    /// Deviations are |ours − reference| / max(1, |reference|): relative for large values,
    /// absolute below 1. The reference runs in float64, we run in float32; the loops amplify
    /// rounding (x̄₀ = x/√ᾱ at the noisiest steps); the largest deviation seen is 3.3e-6.
    /// </summary>
    internal const double LoopTolerance = 1e-5;

    /// <summary>Sigmas are float32 in both; they differ only by the last-bit rounding of intermediate steps.</summary>
    internal const double SigmaTolerance = 1e-6;

    public static TheoryData<string> Cases => [.. SchedulerReference.CaseNames];

    [Theory]
    [MemberData(nameof(Cases))]
    public void TimestepsAndSigmasMatchReference(string name)
    {
        var c = SchedulerReference.Case(name);
        var scheduler = SchedulerReference.CreateScheduler(c);

        // Integer timesteps must match exactly; fractional ones (Karras sigmas inverted through
        // float32 log-sigmas) may differ in the last bit of float32, as numpy's and .NET's logf do.
        var timesteps = SchedulerReference.Doubles(c.GetProperty("timesteps"));
        if (timesteps.All(t => t == Math.Floor(t)))
        {
            Assert.Equal(timesteps, scheduler.Timesteps.Select(t => (double)t));
        }
        else
        {
            Assert.True(MaxDeviation(timesteps, scheduler.Timesteps) <= SigmaTolerance, $"timesteps deviate by {MaxDeviation(timesteps, scheduler.Timesteps):g3}");
        }
        if (c.GetProperty("sigmas").ValueKind == JsonValueKind.Null)
        {
            Assert.Null(scheduler.Sigmas);
        }
        else
        {
            var expected = SchedulerReference.Doubles(c.GetProperty("sigmas"));
            Assert.NotNull(scheduler.Sigmas);
            Assert.Equal(expected.Length, scheduler.Sigmas.Count);
            Assert.True(MaxDeviation(expected, scheduler.Sigmas) <= SigmaTolerance, $"sigmas deviate by {MaxDeviation(expected, scheduler.Sigmas):g3}");
        }

        Assert.Equal(c.GetProperty("init_noise_sigma").GetDouble(), scheduler.InitNoiseSigma, tolerance: 1e-5);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void DenoisingLoopMatchesReference(string name)
    {
        var c = SchedulerReference.Case(name);
        if (!c.TryGetProperty("final_sample", out _))
        {
            return; // schedule-only case
        }

        var (run, deviation) = RunAgainstReference(c);
        output.WriteLine($"{name}: {run.PrevSums.Count} steps, largest deviation {deviation:g3}");
        Assert.True(deviation <= LoopTolerance, $"{name}: largest deviation {deviation:g3} > {LoopTolerance:g3}");
    }

    /// <summary>Runs a reference case and returns the largest deviation over everything it records.</summary>
    internal static (DenoisingRun Run, double Deviation) RunAgainstReference(JsonElement c)
    {
        var scheduler = SchedulerReference.CreateScheduler(c);
        var batch = SchedulerReference.BatchSize;
        var z = SchedulerReference.InitialNoise;
        float[] start;
        var startIndex = 0;
        var deviation = 0.0;
        if (c.TryGetProperty("strength", out var strength))
        {
            startIndex = scheduler.GetTimestepIndexForStrength(strength.GetDouble());
            Assert.Equal(c.GetProperty("start_index").GetInt32(), startIndex);
            start = new float[z.Length];
            scheduler.AddNoise(SchedulerReference.InitImage, z, startIndex, start);
            deviation = MaxDeviation(SchedulerReference.Doubles(c.GetProperty("noised")), start);
        }
        else
        {
            start = [.. z.Select(v => v * scheduler.InitNoiseSigma)];
        }

        var run = DenoisingRun.Run(scheduler, start, startIndex, batch, new FixedNoise());
        var expectedPrevSums = SchedulerReference.Doubles(c.GetProperty("prev_sums"));
        Assert.Equal(expectedPrevSums.Length, run.PrevSums.Count);
        deviation = Math.Max(deviation, MaxDeviation(SchedulerReference.Doubles(c.GetProperty("final_sample")), run.Final));
        deviation = Math.Max(deviation, MaxDeviation(SchedulerReference.Doubles(c.GetProperty("final_x0")), run.LastPredictedOriginal));

        // Sums of 128 values: compare per element on average.
        var n = z.Length;
        deviation = Math.Max(deviation, MaxDeviation(expectedPrevSums, run.PrevSums) / n);
        deviation = Math.Max(deviation, MaxDeviation(SchedulerReference.Doubles(c.GetProperty("x0_sums")), run.PredictedOriginalSums) / n);
        return (run, deviation);
    }

    internal static double MaxDeviation(IReadOnlyList<double> expected, IReadOnlyList<float> actual) =>
        MaxDeviation(expected, actual.Select(v => (double)v).ToList());

    internal static double MaxDeviation(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        var worst = 0.0;
        for (var i = 0; i < expected.Count; i++)
        {
            var d = Math.Abs(actual[i] - expected[i]) / Math.Max(1.0, Math.Abs(expected[i]));
            worst = double.IsNaN(d) ? double.PositiveInfinity : Math.Max(worst, d);
        }

        return worst;
    }
}
