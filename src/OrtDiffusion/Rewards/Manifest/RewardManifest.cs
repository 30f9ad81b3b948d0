using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using OrtDiffusion.Onnx.IO;

namespace OrtDiffusion.Rewards;

/// <summary>
/// <c>reward.json</c>: the contract of a reward folder. <c>model.onnx</c> takes the image batch
/// <c>[batch, 3, height, width]</c> (float32, RGB in [0, 1], any size) under <see cref="ImageInput"/> plus the
/// <see cref="TextInputs"/>, and returns <see cref="Output"/> <c>[batch]</c>, higher is better. Text inputs of
/// kind <c>input_ids</c> / <c>attention_mask</c> come from <see cref="Tokenizer"/>; an input of kind <c>text_embeds</c>
/// is the output of <see cref="TextModel"/> for the prompt (computed once, <c>[1 or batch, D]</c>). A reward with no
/// text inputs (aesthetic) ignores the prompt.
/// </summary>
public sealed record RewardManifest
{
    /// <summary>The schema version this type reads and writes.</summary>
    public const int CurrentFormatVersion = 1;

    /// <summary>The file name inside a reward folder.</summary>
    public const string FileName = "reward.json";

    private static readonly JsonSerializerOptions SerializerOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    /// <summary>Schema version (<see cref="CurrentFormatVersion"/>).</summary>
    [JsonPropertyName("format_version")]
    public int FormatVersion { get; init; } = CurrentFormatVersion;

    /// <summary>Which reward this is.</summary>
    [JsonPropertyName("kind")]
    public RewardKind Kind { get; init; }

    /// <summary>The per-image model file, relative to the folder.</summary>
    [JsonPropertyName("model")]
    public string Model { get; init; } = "model.onnx";

    /// <summary>The model's image input.</summary>
    [JsonPropertyName("image_input")]
    public string ImageInput { get; init; } = "images";

    /// <summary>The model's prompt-derived inputs (empty when the reward ignores the prompt).</summary>
    [JsonPropertyName("text_inputs")]
    public IReadOnlyList<RewardTextInput> TextInputs { get; init; } = [];

    /// <summary>The model's score output, <c>[batch]</c>.</summary>
    [JsonPropertyName("output")]
    public string Output { get; init; } = "score";

    /// <summary>The text tower producing <c>text_embeds</c> inputs, or null.</summary>
    [JsonPropertyName("text_model")]
    public RewardTextModel? TextModel { get; init; }

    /// <summary>The tokenizer of the text inputs, or null when there are none.</summary>
    [JsonPropertyName("tokenizer")]
    public RewardTokenizer? Tokenizer { get; init; }

    /// <summary>Image preparation.</summary>
    [JsonPropertyName("preprocessing")]
    public RewardPreprocessing Preprocessing { get; init; } = new();

    /// <summary>The affine normalisation of the output (ImageReward), or null when the output is the score as is.</summary>
    [JsonPropertyName("score_normalization")]
    public RewardScoreNormalization? ScoreNormalization { get; init; }

    /// <summary>Reads <c>reward.json</c> from a reward folder (or the file itself).</summary>
    /// <exception cref="FileNotFoundException">No manifest at that place.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid manifest; the message names the file and the problem.</exception>
    public static RewardManifest Load(string folderOrFile)
    {
        ArgumentException.ThrowIfNullOrEmpty(folderOrFile);
        var path = Directory.Exists(folderOrFile) ? Path.Combine(folderOrFile, FileName) : folderOrFile;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Reward manifest '{path}' does not exist.", path);
        }

        RewardManifest? manifest;
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(path));
            CheckKind(document.RootElement, path);
            manifest = document.RootElement.Deserialize<RewardManifest>(SerializerOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Reward manifest '{path}' is not valid: {e.Message}", e);
        }

        if (manifest is null)
        {
            throw new InvalidDataException($"Reward manifest '{path}' is empty.");
        }

        manifest.Check(path);
        return manifest;
    }

    /// <summary>Writes the manifest as <c>reward.json</c> in <paramref name="folder"/>, atomically.</summary>
    /// <exception cref="InvalidDataException">The manifest breaks one of the rules <see cref="Load"/> checks.</exception>
    public void Save(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        Check(folder);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(this, SerializerOptions);
        AtomicWrite.File(Path.Combine(folder, FileName), s =>
        {
            s.Write(bytes);
            s.WriteByte((byte)'\n');
        });
    }

    // The kind decides everything else, so a missing or unknown one gets its own message rather than a converter error.
    private static void CheckKind(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidDataException($"Reward manifest '{path}' is not valid: it must be a JSON object.");
        }

        if (!root.TryGetProperty("kind", out var kind))
        {
            throw new InvalidDataException($"Reward manifest '{path}' has no 'kind'; it must be one of {KnownKinds()}.");
        }

        if (kind.ValueKind != JsonValueKind.String || !RewardKinds.TryParse(kind.GetString(), out _))
        {
            throw new InvalidDataException($"Reward manifest '{path}' has the unknown kind {kind.GetRawText()}; this library knows {KnownKinds()}.");
        }
    }

    private static string KnownKinds() => string.Join(", ", RewardKinds.All.Select(RewardKinds.Name));

    private void Check(string where)
    {
        if (FormatVersion != CurrentFormatVersion)
        {
            throw new InvalidDataException($"Reward manifest '{where}' has format_version {FormatVersion}; this library reads {CurrentFormatVersion}.");
        }

        if (string.IsNullOrEmpty(Model) || string.IsNullOrEmpty(ImageInput) || string.IsNullOrEmpty(Output))
        {
            throw new InvalidDataException($"Reward manifest '{where}' must name 'model', 'image_input' and 'output'.");
        }

        var tokenNeeded = TextInputs.Any(t => t.Kind is RewardTextInputKind.InputIds or RewardTextInputKind.AttentionMask) || TextModel is not null;
        if (tokenNeeded && Tokenizer is null)
        {
            throw new InvalidDataException($"Reward manifest '{where}' has text inputs but no 'tokenizer'.");
        }

        if (Tokenizer is { MaxLength: < 2 })
        {
            throw new InvalidDataException($"Reward manifest '{where}': tokenizer max_length {Tokenizer.MaxLength} leaves no room for the start and end tokens.");
        }

        if (TextInputs.Any(t => t.Kind == RewardTextInputKind.TextEmbeds) && TextModel is null)
        {
            throw new InvalidDataException($"Reward manifest '{where}' has a 'text_embeds' input but no 'text_model' to compute it.");
        }

        var repeated = TextInputs.GroupBy(t => t.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1 || g.Key == ImageInput);
        if (repeated is not null)
        {
            throw new InvalidDataException($"Reward manifest '{where}' names the input '{repeated.Key}' more than once.");
        }

        if (ScoreNormalization is { } n && (!double.IsFinite(n.Mean) || !double.IsFinite(n.Std) || n.Std <= 0))
        {
            throw new InvalidDataException($"Reward manifest '{where}': score_normalization needs a finite mean and a positive std, not mean {n.Mean}, std {n.Std}.");
        }
    }
}
