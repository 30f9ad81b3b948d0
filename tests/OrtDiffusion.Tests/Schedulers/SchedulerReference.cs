using System.Text.Json;
using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Tests.Schedulers;

/// <summary>
/// The reference values of Fixtures/schedulers/reference.json, produced by make_reference.py:
/// an independent float64 numpy implementation of each algorithm from its paper, with the
/// training table built in torch float32 as diffusers builds it. Nothing there comes from
/// this library's output.
/// </summary>
internal static class SchedulerReference
{
    private static readonly Lazy<JsonDocument> Document = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "schedulers", "reference.json"))));

    public static JsonElement Root => Document.Value.RootElement;

    public static float[] InitialNoise => Floats(Root.GetProperty("initial_noise"));

    public static float[] InitImage => Floats(Root.GetProperty("init_image"));

    public static int BatchSize => Root.GetProperty("shape")[0].GetInt32();

    public static IEnumerable<string> CaseNames =>
        Root.GetProperty("cases").EnumerateArray().Select(c => c.GetProperty("name").GetString()!);

    public static JsonElement Case(string name) =>
        Root.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    public static float[] Floats(JsonElement array) => [.. array.EnumerateArray().Select(e => (float)e.GetDouble())];

    public static double[] Doubles(JsonElement array) => [.. array.EnumerateArray().Select(e => e.GetDouble())];

    /// <summary>The scheduler a case describes, configured (η, churn) but without timesteps set.</summary>
    public static IScheduler CreateScheduler(JsonElement c)
    {
        var config = SchedulerConfig.Parse(c.GetProperty("config").GetRawText(), "reference.json:" + c.GetProperty("name").GetString());
        var name = c.GetProperty("scheduler").GetString() == "dpm" ? "dpm++" : c.GetProperty("scheduler").GetString()!;
        var scheduler = SchedulerFactory.Create(name, config);
        var options = c.GetProperty("options");
        double Option(string key, double fallback) => options.TryGetProperty(key, out var v) ? v.GetDouble() : fallback;
        switch (scheduler)
        {
            case DdimScheduler ddim:
                ddim.Eta = Option("eta", 0);
                ddim.UseClippedModelOutput = options.TryGetProperty("use_clipped_model_output", out var u) && u.GetBoolean();
                break;
            case EulerDiscreteScheduler euler:
                euler.SChurn = Option("s_churn", 0);
                euler.STMin = Option("s_tmin", 0);
                euler.STMax = Option("s_tmax", double.PositiveInfinity);
                euler.SNoise = Option("s_noise", 1);
                break;
        }

        scheduler.SetTimesteps(c.GetProperty("steps").GetInt32());
        return scheduler;
    }

    /// <summary>The analytic stand-in for the denoiser, as make_reference.py defines it: f(x, t) = 0.1 x + 0.5 sin(t/100 + x).</summary>
    public static void Model(ReadOnlySpan<float> input, double timestep, Span<float> output)
    {
        for (var i = 0; i < input.Length; i++)
        {
            output[i] = (float)(0.1 * input[i] + 0.5 * Math.Sin(timestep / 100.0 + input[i]));
        }
    }
}

/// <summary>make_reference.py's fixed noise: call k, element i → 1.1 sin(0.37 i + 1.31 k + 0.2), rounded to float32.</summary>
internal sealed class FixedNoise(int firstCall = 0) : INoiseSource
{
    public int Calls { get; private set; } = firstCall;

    public void Fill(Span<float> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)(1.1 * Math.Sin(0.37 * i + 1.31 * Calls + 0.2));
        }

        Calls++;
    }
}

/// <summary>One denoising loop of a scheduler on the analytic model, recording what the reference records.</summary>
internal sealed class DenoisingRun
{
    public required float[] Final { get; init; }

    public required float[] LastPredictedOriginal { get; init; }

    public required List<double> PrevSums { get; init; }

    public required List<double> PredictedOriginalSums { get; init; }

    public static DenoisingRun Run(IScheduler scheduler, float[] start, int startIndex, int batchSize, INoiseSource? noise)
    {
        var x = (float[])start.Clone();
        var input = new float[x.Length];
        var output = new float[x.Length];
        var x0 = new float[x.Length];
        var prevSums = new List<double>();
        var x0Sums = new List<double>();
        for (var i = startIndex; i < scheduler.Timesteps.Count; i++)
        {
            scheduler.ScaleModelInput(x, input, i);
            SchedulerReference.Model(input, scheduler.Timesteps[i], output);
            scheduler.Step(output, i, x, x, x0, batchSize, noise);
            prevSums.Add(x.Sum(v => (double)v));
            x0Sums.Add(x0.Sum(v => (double)v));
        }

        return new DenoisingRun { Final = x, LastPredictedOriginal = x0, PrevSums = prevSums, PredictedOriginalSums = x0Sums };
    }
}
