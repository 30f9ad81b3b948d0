using System.Text;
using System.Text.Json;

namespace OrtDiffusion.Schedulers;

/// <summary>Reads diffusers' scheduler_config.json into a <see cref="SchedulerConfig"/>.</summary>
internal static class SchedulerConfigReader
{
    /// <summary>The shared empty settings map, so that configs without unsupported settings compare equal.</summary>
    public static readonly IReadOnlyDictionary<string, string> NoSettings = new Dictionary<string, string>();

    // Keys that change the algorithm in ways not implemented here, with their harmless values.
    // A config carrying another value is still read; the scheduler that would use it refuses.
    private static readonly Dictionary<string, string[]> UnsupportedUnlessDefault = new()
    {
        ["use_exponential_sigmas"] = ["false"],
        ["use_beta_sigmas"] = ["false"],
        ["use_lu_lambdas"] = ["false"],
        ["use_flow_sigmas"] = ["false"],
        ["use_dynamic_shifting"] = ["false"],
        ["timestep_type"] = ["discrete"],
    };

    public static SchedulerConfig Parse(string json, string? source)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(QuotePythonFloatLiterals(json), new JsonDocumentOptions
            {
                AllowTrailingCommas = true,
                CommentHandling = JsonCommentHandling.Skip,
            });
        }
        catch (JsonException e)
        {
            throw new SchedulerConfigException("(file)", source, $"not valid JSON: {e.Message}", e);
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new SchedulerConfigException("(file)", source, $"the top level must be a JSON object, got {doc.RootElement.ValueKind}.");
            }

            var r = new Fields(doc.RootElement, source);
            var c = new SchedulerConfig { Source = source };
            c = c with
            {
                ClassName = r.String("_class_name") ?? c.ClassName,
                NumTrainTimesteps = r.Int("num_train_timesteps") ?? c.NumTrainTimesteps,
                BetaStart = r.Double("beta_start") ?? c.BetaStart,
                BetaEnd = r.Double("beta_end") ?? c.BetaEnd,
                BetaSchedule = r.Enum("beta_schedule", BetaSchedules) ?? c.BetaSchedule,
                TrainedBetas = r.FloatArray("trained_betas"),
                PredictionType = r.Enum("prediction_type", PredictionTypes) ?? c.PredictionType,
                TimestepSpacing = r.Enum("timestep_spacing", Spacings),
                StepsOffset = r.Int("steps_offset") ?? c.StepsOffset,
                SetAlphaToOne = r.Bool("set_alpha_to_one"),
                ClipSample = r.Bool("clip_sample"),
                ClipSampleRange = r.Double("clip_sample_range") ?? c.ClipSampleRange,
                Thresholding = r.Bool("thresholding") ?? c.Thresholding,
                DynamicThresholdingRatio = r.Double("dynamic_thresholding_ratio") ?? c.DynamicThresholdingRatio,
                SampleMaxValue = r.Double("sample_max_value") ?? c.SampleMaxValue,
                UseKarrasSigmas = r.Bool("use_karras_sigmas") ?? c.UseKarrasSigmas,
                SigmaMin = r.Double("sigma_min"),
                SigmaMax = r.Double("sigma_max"),
                SkipPrkSteps = r.Bool("skip_prk_steps") ?? c.SkipPrkSteps,
                SolverOrder = r.Int("solver_order") ?? c.SolverOrder,
                AlgorithmType = r.Enum("algorithm_type", AlgorithmTypes) ?? c.AlgorithmType,
                SolverType = r.Enum("solver_type", SolverTypes) ?? c.SolverType,
                LowerOrderFinal = r.Bool("lower_order_final") ?? c.LowerOrderFinal,
                EulerAtFinal = r.Bool("euler_at_final") ?? c.EulerAtFinal,
                FinalSigmasType = r.Enum("final_sigmas_type", FinalSigmas) ?? c.FinalSigmasType,
                LambdaMinClipped = r.Double("lambda_min_clipped") ?? c.LambdaMinClipped,
                InterpolationType = r.Enum("interpolation_type", Interpolations) ?? c.InterpolationType,
                RescaleBetasZeroSnr = r.Bool("rescale_betas_zero_snr") ?? c.RescaleBetasZeroSnr,
            };
            return c with { UnsupportedSettings = r.UnsupportedSettings() };
        }
    }

    private static readonly Dictionary<string, BetaSchedule> BetaSchedules = new()
    {
        ["linear"] = BetaSchedule.Linear,
        ["scaled_linear"] = BetaSchedule.ScaledLinear,
        ["squaredcos_cap_v2"] = BetaSchedule.SquaredCosCapV2,
    };

    private static readonly Dictionary<string, PredictionType> PredictionTypes = new()
    {
        ["epsilon"] = PredictionType.Epsilon,
        ["v_prediction"] = PredictionType.VPrediction,
        ["sample"] = PredictionType.Sample,
        ["original_sample"] = PredictionType.Sample,
    };

    private static readonly Dictionary<string, TimestepSpacing> Spacings = new()
    {
        ["leading"] = TimestepSpacing.Leading,
        ["linspace"] = TimestepSpacing.Linspace,
        ["trailing"] = TimestepSpacing.Trailing,
    };

    // diffusers maps the DEIS / UniPC names onto DPM-Solver++ and midpoint when a config of
    // those schedulers is loaded into DPMSolverMultistepScheduler; the same here.
    private static readonly Dictionary<string, DpmAlgorithmType> AlgorithmTypes = new()
    {
        ["dpmsolver++"] = DpmAlgorithmType.DpmSolverPlusPlus,
        ["dpmsolver"] = DpmAlgorithmType.DpmSolver,
        ["deis"] = DpmAlgorithmType.DpmSolverPlusPlus,
    };

    private static readonly Dictionary<string, DpmSolverType> SolverTypes = new()
    {
        ["midpoint"] = DpmSolverType.Midpoint,
        ["heun"] = DpmSolverType.Heun,
        ["logrho"] = DpmSolverType.Midpoint,
        ["bh1"] = DpmSolverType.Midpoint,
        ["bh2"] = DpmSolverType.Midpoint,
    };

    private static readonly Dictionary<string, FinalSigmasType> FinalSigmas = new()
    {
        ["zero"] = FinalSigmasType.Zero,
        ["sigma_min"] = FinalSigmasType.SigmaMin,
    };

    private static readonly Dictionary<string, InterpolationType> Interpolations = new()
    {
        ["linear"] = InterpolationType.Linear,
        ["log_linear"] = InterpolationType.LogLinear,
    };

    /// <summary>
    /// Python's json module writes non-finite floats as bare <c>NaN</c>, <c>Infinity</c> and
    /// <c>-Infinity</c> (diffusers' DPM-Solver configs carry <c>"lambda_min_clipped": -Infinity</c>).
    /// They are not JSON; quote them so the reader can take them as named float literals.
    /// </summary>
    internal static string QuotePythonFloatLiterals(string json)
    {
        if (!json.Contains("NaN", StringComparison.Ordinal) && !json.Contains("Infinity", StringComparison.Ordinal))
        {
            return json;
        }

        var sb = new StringBuilder(json.Length + 16);
        var inString = false;
        for (var i = 0; i < json.Length; i++)
        {
            var ch = json[i];
            if (inString)
            {
                sb.Append(ch);
                if (ch == '\\' && i + 1 < json.Length)
                {
                    sb.Append(json[++i]);
                }
                else if (ch == '"')
                {
                    inString = false;
                }

                continue;
            }

            if (ch == '"')
            {
                inString = true;
                sb.Append(ch);
                continue;
            }

            var literal = MatchLiteral(json, i);
            if (literal is not null)
            {
                sb.Append('"').Append(literal).Append('"');
                i += literal.Length - 1;
                continue;
            }

            sb.Append(ch);
        }

        return sb.ToString();
    }

    private static string? MatchLiteral(string s, int i)
    {
        foreach (var lit in (ReadOnlySpan<string>)["-Infinity", "Infinity", "NaN"])
        {
            if (string.CompareOrdinal(s, i, lit, 0, lit.Length) == 0)
            {
                return lit;
            }
        }

        return null;
    }

    /// <summary>Typed access to the root object's keys; JSON null counts as absent.</summary>
    private sealed class Fields(JsonElement root, string? source)
    {
        private JsonElement? Get(string key) =>
            root.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

        private SchedulerConfigException Bad(string key, JsonElement v, string expected) =>
            new(key, source, $"expected {expected}, got {Describe(v)}.");

        private static string Describe(JsonElement v) => v.ValueKind switch
        {
            JsonValueKind.String => $"the string \"{v.GetString()}\"",
            JsonValueKind.Number => $"the number {v.GetRawText()}",
            JsonValueKind.True or JsonValueKind.False => $"the boolean {v.GetRawText()}",
            JsonValueKind.Array => "an array",
            JsonValueKind.Object => "an object",
            _ => v.ValueKind.ToString(),
        };

        public string? String(string key)
        {
            if (Get(key) is not { } v)
            {
                return null;
            }

            return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Bad(key, v, "a string");
        }

        public double? Double(string key) => Get(key) is { } v ? ToDouble(key, v) : null;

        private double ToDouble(string key, JsonElement v)
        {
            if (v.ValueKind == JsonValueKind.Number && v.TryGetDouble(out var d))
            {
                return d;
            }

            if (v.ValueKind == JsonValueKind.String)
            {
                switch (v.GetString())
                {
                    case "-Infinity": return double.NegativeInfinity;
                    case "Infinity": return double.PositiveInfinity;
                    case "NaN": return double.NaN;
                }
            }

            throw Bad(key, v, "a number");
        }

        public int? Int(string key)
        {
            if (Get(key) is not { } v)
            {
                return null;
            }

            if (v.ValueKind == JsonValueKind.Number)
            {
                if (v.TryGetInt32(out var i))
                {
                    return i;
                }

                // Python may write an integer-valued float (1000.0).
                if (v.TryGetDouble(out var d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue)
                {
                    return (int)d;
                }
            }

            throw Bad(key, v, "an integer");
        }

        public bool? Bool(string key)
        {
            if (Get(key) is not { } v)
            {
                return null;
            }

            return v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => throw Bad(key, v, "true or false"),
            };
        }

        public T? Enum<T>(string key, Dictionary<string, T> names)
            where T : struct
        {
            if (Get(key) is not { } v)
            {
                return null;
            }

            if (v.ValueKind == JsonValueKind.String && names.TryGetValue(v.GetString()!, out var value))
            {
                return value;
            }

            if (v.ValueKind == JsonValueKind.String && IsKnownUnsupported(key, v.GetString()!))
            {
                return null; // recorded by UnsupportedSettings; refused by the scheduler that needs it
            }

            throw Bad(key, v, "one of " + string.Join(", ", names.Keys.Select(n => $"\"{n}\"")));
        }

        private static bool IsKnownUnsupported(string key, string value) =>
            (key == "algorithm_type" && value is "sde-dpmsolver" or "sde-dpmsolver++")
            || (key == "prediction_type" && value == "flow_prediction");

        public float[]? FloatArray(string key)
        {
            if (Get(key) is not { } v)
            {
                return null;
            }

            if (v.ValueKind != JsonValueKind.Array)
            {
                throw Bad(key, v, "an array of numbers");
            }

            var result = new float[v.GetArrayLength()];
            var i = 0;
            foreach (var item in v.EnumerateArray())
            {
                result[i++] = (float)ToDouble($"{key}[{i - 1}]", item);
            }

            return result;
        }

        public IReadOnlyDictionary<string, string> UnsupportedSettings()
        {
            var found = new Dictionary<string, string>();
            foreach (var (key, harmless) in UnsupportedUnlessDefault)
            {
                if (Get(key) is { } v)
                {
                    var text = v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText();
                    if (!harmless.Contains(text))
                    {
                        found[key] = text;
                    }
                }
            }

            foreach (var key in (ReadOnlySpan<string>)["algorithm_type", "prediction_type"])
            {
                if (Get(key) is { ValueKind: JsonValueKind.String } v && IsKnownUnsupported(key, v.GetString()!))
                {
                    found[key] = v.GetString()!;
                }
            }

            return found.Count == 0 ? NoSettings : found;
        }
    }
}
