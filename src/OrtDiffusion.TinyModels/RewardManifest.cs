using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using OrtDiffusion.Onnx.IO;

namespace OrtDiffusion.TinyModels;

/// <summary>The reward models a reward folder can hold.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RewardKind>))]
public enum RewardKind
{
    /// <summary>CLIP score: cosine of normalised image and text features (<c>"clip"</c>).</summary>
    [JsonStringEnumMemberName("clip")]
    Clip,

    /// <summary>LAION aesthetic predictor v2 on CLIP image features (<c>"aesthetic"</c>).</summary>
    [JsonStringEnumMemberName("aesthetic")]
    Aesthetic,

    /// <summary>ImageReward v1.0 (<c>"image_reward"</c>); the zoo does not build it yet.</summary>
    [JsonStringEnumMemberName("image_reward")]
    ImageReward,

    /// <summary>HPSv2 (<c>"hpsv2"</c>); the zoo does not build it yet.</summary>
    [JsonStringEnumMemberName("hpsv2")]
    HpsV2,
}

/// <summary>What a text-derived input of a reward model holds.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RewardTextInputKind>))]
public enum RewardTextInputKind
{
    /// <summary>Token ids of the prompt, padded to <see cref="RewardTokenizer.MaxLength"/> (<c>"input_ids"</c>).</summary>
    [JsonStringEnumMemberName("input_ids")]
    InputIds,

    /// <summary>1 for real tokens, 0 for padding (<c>"attention_mask"</c>).</summary>
    [JsonStringEnumMemberName("attention_mask")]
    AttentionMask,

    /// <summary>The output of the folder's <see cref="RewardManifest.TextModel"/> for the prompt (<c>"text_embeds"</c>).</summary>
    [JsonStringEnumMemberName("text_embeds")]
    TextEmbeds,
}

/// <summary>The tokenizer families reward folders use.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RewardTokenizerKind>))]
public enum RewardTokenizerKind
{
    /// <summary>CLIP byte-level BPE: <c>vocab.json</c> + <c>merges.txt</c> (<c>"clip_bpe"</c>).</summary>
    [JsonStringEnumMemberName("clip_bpe")]
    ClipBpe,

    /// <summary>BERT WordPiece: <c>vocab.txt</c> (<c>"bert_wordpiece"</c>), as ImageReward's BLIP text encoder.</summary>
    [JsonStringEnumMemberName("bert_wordpiece")]
    BertWordPiece,
}

/// <summary>One input of the reward model that comes from the prompt rather than the image.</summary>
/// <param name="Name">The model input's name.</param>
/// <param name="Kind">What to feed it.</param>
public sealed record RewardTextInput(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("kind")] RewardTextInputKind Kind);

/// <summary>
/// A model that turns the prompt's tokens into the reward model's text inputs once per prompt (the text tower of
/// a two-tower reward such as CLIP score or HPSv2), so the per-image model never re-encodes the text.
/// </summary>
public sealed record RewardTextModel
{
    /// <summary>The model file, relative to the reward folder.</summary>
    [JsonPropertyName("model")]
    public string Model { get; init; } = "text_model.onnx";

    /// <summary>Its token-id input (int32 or int64; read the type from the model).</summary>
    [JsonPropertyName("input_ids")]
    public string InputIds { get; init; } = "input_ids";

    /// <summary>Its attention-mask input, or null when it has none.</summary>
    [JsonPropertyName("attention_mask")]
    public string? AttentionMask { get; init; }

    /// <summary>Its output, fed to the reward model's input of kind <see cref="RewardTextInputKind.TextEmbeds"/>.</summary>
    [JsonPropertyName("output")]
    public string Output { get; init; } = "text_embeds";
}

/// <summary>The tokenizer a reward's text inputs come from.</summary>
public sealed record RewardTokenizer
{
    /// <summary>The tokenizer family.</summary>
    [JsonPropertyName("kind")]
    public RewardTokenizerKind Kind { get; init; }

    /// <summary>The tokenizer folder, relative to the reward folder.</summary>
    [JsonPropertyName("folder")]
    public string Folder { get; init; } = "tokenizer";

    /// <summary>Sequence length the ids are padded (and truncated) to, start and end tokens included.</summary>
    [JsonPropertyName("max_length")]
    public int MaxLength { get; init; }
}

/// <summary>
/// How images are prepared. With <see cref="InGraph"/> true the model does all of it itself (so it is
/// differentiated too) and callers pass RGB in [0, 1] at any size; the other fields document what it does.
/// </summary>
public sealed record RewardPreprocessing
{
    /// <summary>Whether resize, crop and normalisation happen inside <c>model.onnx</c>.</summary>
    [JsonPropertyName("in_graph")]
    public bool InGraph { get; init; } = true;

    /// <summary>Range of the pixel values the model expects.</summary>
    [JsonPropertyName("input_range")]
    public IReadOnlyList<double> InputRange { get; init; } = [0, 1];

    /// <summary>Interpolation of the resize: <c>"bilinear"</c> or <c>"bicubic"</c>.</summary>
    [JsonPropertyName("resize")]
    public string Resize { get; init; } = "bilinear";

    /// <summary>The side length the shorter side is resized to and the centre crop's size.</summary>
    [JsonPropertyName("image_size")]
    public int ImageSize { get; init; }

    /// <summary>The crop after the resize: <c>"center"</c>.</summary>
    [JsonPropertyName("crop")]
    public string Crop { get; init; } = "center";

    /// <summary>Per-channel mean subtracted after the crop (RGB).</summary>
    [JsonPropertyName("mean")]
    public IReadOnlyList<double> Mean { get; init; } = [];

    /// <summary>Per-channel standard deviation divided by after the mean (RGB).</summary>
    [JsonPropertyName("std")]
    public IReadOnlyList<double> Std { get; init; } = [];
}

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

    /// <summary>Reads <c>reward.json</c> from a reward folder (or the file itself).</summary>
    /// <exception cref="FileNotFoundException">No manifest at that place.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid manifest; the message names the file and the problem.</exception>
    public static RewardManifest Load(string folderOrFile)
    {
        var path = Directory.Exists(folderOrFile) ? Path.Combine(folderOrFile, FileName) : folderOrFile;
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Reward manifest '{path}' does not exist.", path);
        }

        RewardManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<RewardManifest>(File.ReadAllText(path), SerializerOptions);
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
    public void Save(string folder)
    {
        Check(folder);
        var bytes = JsonSerializer.SerializeToUtf8Bytes(this, SerializerOptions);
        AtomicWrite.File(Path.Combine(folder, FileName), s =>
        {
            s.Write(bytes);
            s.WriteByte((byte)'\n');
        });
    }

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

        if (TextInputs.Any(t => t.Kind == RewardTextInputKind.TextEmbeds) && TextModel is null)
        {
            throw new InvalidDataException($"Reward manifest '{where}' has a 'text_embeds' input but no 'text_model' to compute it.");
        }
    }
}
