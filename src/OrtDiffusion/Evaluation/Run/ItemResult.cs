using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace OrtDiffusion.Evaluation;

/// <summary>One line of <c>results.jsonl</c>: what one (prompt, seed, method) item produced.</summary>
public sealed record ItemResult
{
    /// <summary>The item's position in the run's stable order.</summary>
    public required long Index { get; init; }

    /// <summary><c>&lt;method&gt;/&lt;prompt#&gt;-&lt;seed&gt;</c>, unique in a run.</summary>
    public required string Key { get; init; }

    /// <summary>The method's label.</summary>
    public required string Method { get; init; }

    /// <summary>The prompt's number.</summary>
    public required int PromptIndex { get; init; }

    /// <summary>The prompt.</summary>
    public required string Prompt { get; init; }

    /// <summary>The seed.</summary>
    public required ulong Seed { get; init; }

    /// <summary>The PNG, relative to the run folder (forward slashes).</summary>
    public required string Image { get; init; }

    /// <summary>The FID features (<c>.npy</c>, float32 [D]) relative to the run folder, or null without FID.</summary>
    public string? Features { get; init; }

    /// <summary>Wall time of the generation (sampling and decoding; prompt encoding, metrics and file writing excluded), in seconds.</summary>
    public required double TimeSeconds { get; init; }

    /// <summary>UNet evaluations of the generation.</summary>
    public int UnetCalls { get; init; }

    /// <summary>Whether the prompt was cut to the text encoder's length.</summary>
    public bool PromptTruncated { get; init; }

    /// <summary>Each metric's score of the image, in the run's metric order.</summary>
    public IReadOnlyList<KeyValuePair<string, double>> Metrics { get; init; } = [];

    /// <summary>The method's own reward per step (DATE), or null.</summary>
    public RewardTrace? Trace { get; init; }

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>The value of metric <paramref name="name"/>, or null.</summary>
    public double? Metric(string name)
    {
        foreach (var (key, value) in Metrics)
        {
            if (key == name)
            {
                return value;
            }
        }

        return null;
    }

    /// <summary>The JSON line, newline included (JSON escapes every line break inside strings, so the line is one line).</summary>
    public byte[] ToJsonLine()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("index", Index);
            w.WriteString("key", Key);
            w.WriteString("method", Method);
            w.WriteNumber("prompt_index", PromptIndex);
            w.WriteNumber("seed", Seed);
            w.WriteString("prompt", Prompt);
            w.WriteString("image", Image);
            if (Features is not null)
            {
                w.WriteString("features", Features);
            }

            w.WriteNumber("time_s", TimeSeconds);
            w.WriteNumber("unet_calls", UnetCalls);
            w.WriteBoolean("prompt_truncated", PromptTruncated);
            w.WriteStartObject("metrics");
            foreach (var (name, value) in Metrics)
            {
                w.WriteNumber(name, value);
            }

            w.WriteEndObject();
            if (Trace is not null)
            {
                w.WriteStartObject("trace");
                w.WriteString("reward", Trace.Reward);
                w.WriteStartArray("steps");
                foreach (var s in Trace.Steps)
                {
                    w.WriteNumberValue(s);
                }

                w.WriteEndArray();
                w.WriteStartArray("values");
                foreach (var v in Trace.Values)
                {
                    w.WriteNumberValue(v);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }

    /// <summary>Parses one line.</summary>
    /// <exception cref="InvalidDataException">Not JSON, or a required field is missing or of the wrong type (the message names <paramref name="where"/>).</exception>
    public static ItemResult Parse(ReadOnlySpan<byte> line, string where)
    {
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
            var r = doc.RootElement;
            RewardTrace? trace = null;
            if (r.TryGetProperty("trace", out var t) && t.ValueKind == JsonValueKind.Object)
            {
                trace = new RewardTrace(
                    t.GetProperty("reward").GetString()!,
                    [.. t.GetProperty("steps").EnumerateArray().Select(e => e.GetInt32())],
                    [.. t.GetProperty("values").EnumerateArray().Select(e => e.GetDouble())]);
            }

            return new ItemResult
            {
                Index = r.GetProperty("index").GetInt64(),
                Key = r.GetProperty("key").GetString()!,
                Method = r.GetProperty("method").GetString()!,
                PromptIndex = r.GetProperty("prompt_index").GetInt32(),
                Seed = r.GetProperty("seed").GetUInt64(),
                Prompt = r.GetProperty("prompt").GetString()!,
                Image = r.GetProperty("image").GetString()!,
                Features = r.TryGetProperty("features", out var f) ? f.GetString() : null,
                TimeSeconds = r.GetProperty("time_s").GetDouble(),
                UnetCalls = r.TryGetProperty("unet_calls", out var u) ? u.GetInt32() : 0,
                PromptTruncated = r.TryGetProperty("prompt_truncated", out var p) && p.GetBoolean(),
                Metrics = [.. r.GetProperty("metrics").EnumerateObject().Select(m => KeyValuePair.Create(m.Name, m.Value.GetDouble()))],
                Trace = trace,
            };
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{where}: not a valid result line ({e.Message}): {Encoding.UTF8.GetString(line[..Math.Min(line.Length, 200)])}", e);
        }
    }
}
