using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Tests.Schedulers;

/// <summary>
/// <see cref="IScheduler.GetHistoryDerivatives"/> against central finite differences of <see cref="IScheduler.Step"/>:
/// for every affine reference configuration, every step i and every earlier step j of the run, a clone of the
/// scheduler taken before step j replays steps j…i with m_j (or x_j) moved by ±h while every later step gets its
/// recorded sample and model output, so only the path through the stored history moves prev_i. The quotient must
/// equal the reported coefficient for j (zero when j is not reported) in every element.
/// </summary>
public sealed class HistoryDerivativeTests
{
    // As in StepDerivativeTests: the map is affine, so the quotient is exact up to float32 rounding.
    private const double Tolerance = 2e-4;

    public static TheoryData<string> AffineCases =>
        [.. SchedulerReference.CaseNames.Where(n => SchedulerReference.CreateScheduler(SchedulerReference.Case(n)).HasStepDerivatives)];

    [Theory]
    [MemberData(nameof(AffineCases))]
    public void History_derivatives_match_central_differences(string name)
    {
        var c = SchedulerReference.Case(name);
        var scheduler = SchedulerReference.CreateScheduler(c);
        var start = c.TryGetProperty("strength", out var strength) ? scheduler.GetTimestepIndexForStrength(strength.GetDouble()) : 0;
        var run = Record(scheduler, start);
        var reportedSomething = false;
        for (var i = start + 1; i < scheduler.Timesteps.Count; i++)
        {
            var reported = run.History[i];
            Assert.True(reported.Select(h => h.StepIndex).SequenceEqual(reported.Select(h => h.StepIndex).Distinct().Order()), $"{name} step {i}: entries must be unique and oldest first");
            Assert.All(reported, h => Assert.InRange(h.StepIndex, start, i - 1));
            reportedSomething |= reported.Count > 0;
            for (var j = start; j < i; j++)
            {
                var entry = reported.FirstOrDefault(h => h.StepIndex == j);
                var expectedM = reported.Any(h => h.StepIndex == j) ? entry.PrevWrtModelOutput : 0;
                var expectedX = reported.Any(h => h.StepIndex == j) ? entry.PrevWrtSample : 0;
                AssertAll(Quotient(run, j, i, perturbModel: true), expectedM, $"{name}: ∂prev_{i}/∂m_{j}");
                AssertAll(Quotient(run, j, i, perturbModel: false), expectedX, $"{name}: ∂prev_{i}/∂x_{j}");
            }
        }

        // Multistep methods report history; single-step ones never do.
        var multistep = scheduler.Kind is SchedulerKind.Lms or SchedulerKind.Pndm
            || (scheduler.Kind == SchedulerKind.DpmSolverMultistep && scheduler.Config.SolverOrder > 1);
        Assert.Equal(multistep, reportedSomething);
    }

    [Fact]
    public void Lms_history_is_the_adams_bashforth_weights_on_the_stored_derivatives()
    {
        // For ε-prediction LMS stores d_j = ε_j, so ∂prev_i/∂m_j is the multistep coefficient of d_j itself:
        // the integral of the Lagrange basis polynomial over [σ_i, σ_{i+1}], computed here independently
        // by the trapezoid rule on 20 000 intervals.
        var s = (LmsDiscreteScheduler)SchedulerFactory.Create("lms", SchedulerConfig.StableDiffusion15);
        s.SetTimesteps(10);
        var x = new float[4];
        var m = new float[4];
        for (var i = 0; i < 5; i++)
        {
            s.Step(m, i, x, x, []);
        }

        var history = s.GetHistoryDerivatives(5);
        Assert.Equal([2, 3, 4], history.Select(h => h.StepIndex));
        var sigma = s.Sigmas!;
        foreach (var h in history)
        {
            var k = 5 - h.StepIndex;
            double Basis(double tau)
            {
                var product = 1.0;
                for (var q = 0; q < 4; q++)
                {
                    if (q != k)
                    {
                        product *= (tau - sigma[5 - q]) / ((double)sigma[5 - k] - sigma[5 - q]);
                    }
                }

                return product;
            }

            const int n = 20000;
            double a = sigma[5], b = sigma[6], sum = 0;
            for (var q = 0; q <= n; q++)
            {
                var w = q == 0 || q == n ? 0.5 : 1.0;
                sum += w * Basis(a + (b - a) * q / n);
            }

            Assert.Equal(sum * (b - a) / n, h.PrevWrtModelOutput, 1e-6);
            Assert.Equal(0, h.PrevWrtSample);
        }
    }

    [Fact]
    public void Single_step_schedulers_and_the_first_step_report_no_history()
    {
        foreach (var name in new[] { "ddim", "euler", "lms", "pndm", "dpm++" })
        {
            var s = SchedulerFactory.Create(name, SchedulerConfig.StableDiffusion15);
            s.SetTimesteps(10);
            Assert.Empty(s.GetHistoryDerivatives(0));
        }
    }

    [Fact]
    public void History_is_only_for_the_next_step_and_refused_when_not_affine()
    {
        var s = SchedulerFactory.Create("lms", SchedulerConfig.StableDiffusion15);
        s.SetTimesteps(10);
        var x = new float[4];
        s.Step(new float[4], 0, x, x, []);
        Assert.Throws<InvalidOperationException>(() => s.GetHistoryDerivatives(3));
        Assert.Single(s.GetHistoryDerivatives(1));

        var clipped = SchedulerReference.CreateScheduler(SchedulerReference.Case("ddim_clip_sample"));
        Assert.Contains("clip_sample", Assert.Throws<NotSupportedException>(() => clipped.GetHistoryDerivatives(0)).Message);
    }

    private sealed record Run(List<IScheduler> Before, List<float[]> Samples, List<float[]> Outputs, Dictionary<int, IReadOnlyList<HistoryDerivative>> History);

    // The reference loop, keeping a clone of the scheduler before each step with that step's sample and model output.
    private static Run Record(IScheduler scheduler, int start)
    {
        var n = SchedulerReference.InitialNoise.Length;
        var run = new Run([], [], [], []);
        var x = SchedulerReference.InitialNoise.Select(v => v * scheduler.InitNoiseSigma).ToArray();
        var input = new float[n];
        for (var i = 0; i < scheduler.Timesteps.Count; i++)
        {
            if (i < start)
            {
                run.Before.Add(null!);
                run.Samples.Add(null!);
                run.Outputs.Add(null!);
                continue;
            }

            var m = new float[n];
            scheduler.ScaleModelInput(x, input, i);
            SchedulerReference.Model(input, scheduler.Timesteps[i], m);
            run.History[i] = scheduler.GetHistoryDerivatives(i);
            run.Before.Add(scheduler.Clone());
            run.Samples.Add((float[])x.Clone());
            run.Outputs.Add(m);
            scheduler.Step(m, i, x, x, [], SchedulerReference.BatchSize, new FixedNoise(i));
        }

        return run;
    }

    private static float[] Quotient(Run run, int j, int i, bool perturbModel)
    {
        var n = run.Samples[j].Length;
        var h = Math.Max(1f, Math.Max(run.Samples[j].Max(Math.Abs), run.Outputs[j].Max(Math.Abs)));
        var prev = new float[2][];
        for (var k = 0; k < 2; k++)
        {
            var sign = k == 0 ? 1f : -1f;
            var clone = run.Before[j].Clone();
            var output = new float[n];
            for (var s = j; s <= i; s++)
            {
                var m = s == j && perturbModel ? run.Outputs[s].Select(v => v + (sign * h)).ToArray() : run.Outputs[s];
                var x = s == j && !perturbModel ? run.Samples[s].Select(v => v + (sign * h)).ToArray() : run.Samples[s];
                clone.Step(m, s, x, output, [], SchedulerReference.BatchSize, new FixedNoise(s));
            }

            prev[k] = output;
        }

        return [.. prev[0].Zip(prev[1], (a, b) => (a - b) / (2 * h))];
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
