using System.Text.Json;
using System.Text.Json.Serialization;
using OrtDiffusion.IO;

namespace OrtDiffusion.Date;

/// <summary>A DATE run in numbers: updates, reward gains, and time compared with a fixed-embedding run.</summary>
public sealed record DateRunSummary
{
    /// <summary>Scheduled update steps.</summary>
    public int UpdateSteps { get; init; }

    /// <summary>Sample updates skipped (zero or non-finite gradient norm).</summary>
    public int SkippedUpdates { get; init; }

    /// <summary>Mean h(x̄₀) gain per update (after − before), when scored after updates; else null.</summary>
    public double? MeanRewardGainPerUpdate { get; init; }

    /// <summary>Wall time of the run.</summary>
    public double TotalMilliseconds { get; init; }

    /// <summary>A fixed-embedding run's estimated time: steps × the median batched-CFG step, plus decoding; null when every step updated.</summary>
    public double? FixedRunEstimateMilliseconds { get; init; }

    /// <summary><see cref="TotalMilliseconds"/> / <see cref="FixedRunEstimateMilliseconds"/>.</summary>
    public double? Overhead => FixedRunEstimateMilliseconds is double f && f > 0 ? TotalMilliseconds / f : null;

    /// <summary>Summarises the trace of one run (one entry per sampling step).</summary>
    public static DateRunSummary From(IReadOnlyList<DateStepTrace> trace, TimeSpan elapsed, double decodeMilliseconds = 0)
    {
        ArgumentNullException.ThrowIfNull(trace);
        var updates = trace.Where(t => t.Scheduled).ToList();
        var gains = updates.Where(t => t.RewardAfter is not null && t.RewardBefore is not null)
            .SelectMany(t => t.RewardAfter!.Zip(t.RewardBefore!, (a, b) => (double)a - b)).ToList();
        var plain = trace.Where(t => !t.Scheduled).SelectMany(t => t.CallMilliseconds.Select(c => c.Value)).Order().ToList();
        double? estimate = plain.Count == 0 ? null : (plain[plain.Count / 2] * trace.Count) + decodeMilliseconds;
        return new DateRunSummary
        {
            UpdateSteps = updates.Count,
            SkippedUpdates = updates.Sum(t => t.Updated.Count(u => !u)),
            MeanRewardGainPerUpdate = gains.Count == 0 ? null : gains.Average(),
            TotalMilliseconds = elapsed.TotalMilliseconds,
            FixedRunEstimateMilliseconds = estimate,
        };
    }

    /// <summary>Writes the options, the per-step trace and this summary as JSON, atomically.</summary>
    public void WriteTrace(string path, DateOptions options, IReadOnlyList<DateStepTrace> trace, string reward)
    {
        ArgumentNullException.ThrowIfNull(options);
        var document = new
        {
            reward,
            options = new
            {
                rho = options.Rho,
                schedule = options.Schedule.Description,
                init_from_original = options.InitFromOriginal,
                prior_weight = options.PriorWeight,
                gradient_steps = options.GradientSteps,
                score_after_update = options.ScoreAfterUpdate,
            },
            steps = trace.Select(t => new
            {
                index = t.Index,
                timestep = t.Timestep,
                scheduled = t.Scheduled,
                updated = t.Updated,
                reward_before = t.RewardBefore,
                reward_after = t.RewardAfter,
                gradient_norm = t.GradientNorm,
                skip_reason = t.SkipReason,
                calls_ms = t.CallMilliseconds.Select(c => new { call = c.Key, ms = c.Value }),
            }),
            summary = this,
        };
        var json = JsonSerializer.Serialize(document, new JsonSerializerOptions
        {
            WriteIndented = true,
            PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        });
        AtomicFile.WriteAllText(path, json);
    }
}
