using System.Text.Encodings.Web;
using System.Text.Json;
using OrtDiffusion.Onnx.IO;

namespace OrtDiffusion.TinyModels.Layout;

/// <summary>Writes JSON files the way Hugging Face tools do: two-space indent, UTF-8 without escaping non-ASCII, newline at the end.</summary>
internal static class JsonFile
{
    private static readonly JsonWriterOptions Indented = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly JsonWriterOptions Compact = new() { Indented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes a JSON file; <paramref name="compact"/> puts it on one line (as Hugging Face writes <c>vocab.json</c>).</summary>
    public static void Write(string path, Action<Utf8JsonWriter> write, bool compact = false) =>
        AtomicWrite.File(path, stream =>
        {
            using (var writer = new Utf8JsonWriter(stream, compact ? Compact : Indented))
            {
                write(writer);
            }

            stream.WriteByte((byte)'\n');
        });

    /// <summary>Writes an object whose members <paramref name="body"/> adds.</summary>
    public static void WriteObject(string path, Action<Utf8JsonWriter> body, bool compact = false) =>
        Write(
            path,
            w =>
            {
                w.WriteStartObject();
                body(w);
                w.WriteEndObject();
            },
            compact);

    /// <summary>Writes a <c>["library", "class"]</c> pair, as <c>model_index.json</c> lists components (null, null when absent).</summary>
    public static void WriteComponent(this Utf8JsonWriter writer, string name, string? library, string? className)
    {
        writer.WriteStartArray(name);
        WriteStringOrNull(writer, library);
        WriteStringOrNull(writer, className);
        writer.WriteEndArray();
    }

    /// <summary>Writes an array of numbers.</summary>
    public static void WriteNumbers(this Utf8JsonWriter writer, string name, IEnumerable<double> values)
    {
        writer.WriteStartArray(name);
        foreach (var v in values)
        {
            writer.WriteNumberValue(v);
        }

        writer.WriteEndArray();
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, string? value)
    {
        if (value is null)
        {
            writer.WriteNullValue();
        }
        else
        {
            writer.WriteStringValue(value);
        }
    }
}
