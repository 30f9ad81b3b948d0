using System.Text.Json;

namespace OrtDiffusion.Text;

/// <summary>
/// The optional Hugging Face side files of a tokenizer folder: <c>tokenizer_config.json</c> and
/// <c>special_tokens_map.json</c>. As in <c>transformers</c>, a token named in the special-tokens
/// map wins over the same key in the tokenizer config.
/// </summary>
internal sealed class TokenizerConfig
{
    // transformers writes a huge number (int(1e30)) when a tokenizer has no length limit.
    const double NoLimitThreshold = 1e9;

    readonly Dictionary<string, JsonElement> _values = new(StringComparer.Ordinal);

    /// <summary>An empty configuration: every lookup returns null.</summary>
    public static TokenizerConfig Empty { get; } = new();

    /// <summary>Reads whichever of the two files exist in <paramref name="folder"/>.</summary>
    public static TokenizerConfig Load(string folder)
    {
        var config = new TokenizerConfig();
        config.Merge(Path.Combine(folder, "tokenizer_config.json"));
        config.Merge(Path.Combine(folder, "special_tokens_map.json"));
        return config;
    }

    void Merge(string path)
    {
        if (!File.Exists(path)) return;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"{path}: expected a JSON object at the top level.");
            foreach (var p in doc.RootElement.EnumerateObject()) _values[p.Name] = p.Value.Clone();
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not valid JSON ({e.Message}).", e);
        }
    }

    /// <summary>A token setting, written either as a string or as an object with a <c>content</c> string.</summary>
    public string? Token(string key)
    {
        if (!_values.TryGetValue(key, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.String => v.GetString(),
            JsonValueKind.Object when v.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String => c.GetString(),
            _ => null,
        };
    }

    /// <summary><c>model_max_length</c>, or null when absent or "unlimited".</summary>
    public int? ModelMaxLength()
    {
        if (!_values.TryGetValue("model_max_length", out var v) || v.ValueKind != JsonValueKind.Number) return null;
        double d = v.GetDouble();
        return d is > 0 and < NoLimitThreshold ? (int)d : null;
    }

    /// <summary>A boolean setting, or null when absent.</summary>
    public bool? Bool(string key) =>
        _values.TryGetValue(key, out var v) && v.ValueKind is JsonValueKind.True or JsonValueKind.False ? v.GetBoolean() : null;
}
