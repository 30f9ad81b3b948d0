using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OrtDiffusion.Imaging;

/// <summary>
/// The settings an image was generated with, in the text format AUTOMATIC1111's web UI writes
/// into a PNG's <c>parameters</c> chunk (and which ComfyUI, InvokeAI, Civitai and others read):
/// <code>
/// a photo of a cat
/// Negative prompt: blurry
/// Steps: 50, Sampler: DDIM, CFG scale: 7.5, Seed: 42, Size: 512x512, Model: sd-v1-5, DATE rho: 0.1
/// </code>
/// <see cref="Format"/> and <see cref="Parse"/> follow that tool's rules: values containing a
/// comma, colon or newline are written as JSON strings; the last line counts as the settings
/// line only when it holds at least three <c>key: value</c> pairs; prompt lines are trimmed.
/// </summary>
public sealed partial record GenerationParameters
{
    /// <summary>The PNG text keyword the parameters are stored under.</summary>
    public const string PngKeyword = "parameters";

    /// <summary>The prompt (may span several lines).</summary>
    public string Prompt { get; init; } = "";

    /// <summary>The negative prompt; empty when none (then no <c>Negative prompt:</c> line is written).</summary>
    public string NegativePrompt { get; init; } = "";

    /// <summary>Number of sampling steps (<c>Steps</c>).</summary>
    public int? Steps { get; init; }

    /// <summary>Sampler or scheduler name (<c>Sampler</c>), e.g. <c>DDIM</c>.</summary>
    public string? Sampler { get; init; }

    /// <summary>Classifier-free guidance scale (<c>CFG scale</c>).</summary>
    public double? CfgScale { get; init; }

    /// <summary>The seed (<c>Seed</c>).</summary>
    public ulong? Seed { get; init; }

    /// <summary>Image width in pixels (first half of <c>Size: WxH</c>).</summary>
    public int? Width { get; init; }

    /// <summary>Image height in pixels (second half of <c>Size: WxH</c>).</summary>
    public int? Height { get; init; }

    /// <summary>Model name (<c>Model</c>).</summary>
    public string? Model { get; init; }

    /// <summary>
    /// Further <c>key: value</c> settings in order, e.g. <c>("DATE rho", "0.1")</c>. Keys are two or
    /// more letters, digits, spaces, '-' or '/' (what the infotext parser recognises).
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, string>> Extra { get; init; } = [];

    /// <summary>The value of an <see cref="Extra"/> entry, or null.</summary>
    /// <param name="key">The key, compared exactly.</param>
    public string? GetExtra(string key)
    {
        foreach (var pair in Extra)
        {
            if (pair.Key == key)
                return pair.Value;
        }
        return null;
    }

    /// <summary>Formats the parameters as AUTOMATIC1111's infotext.</summary>
    public string Format()
    {
        var settings = new List<string>();
        void Add(string key, string? value)
        {
            if (value is not null)
                settings.Add(key == value ? key : $"{key}: {Quote(value)}");
        }

        Add("Steps", Steps?.ToString(CultureInfo.InvariantCulture));
        Add("Sampler", Sampler);
        Add("CFG scale", CfgScale is double cfg ? FormatPythonFloat(cfg) : null);
        Add("Seed", Seed?.ToString(CultureInfo.InvariantCulture));
        if (Width is int w && Height is int h)
            Add("Size", string.Create(CultureInfo.InvariantCulture, $"{w}x{h}"));
        Add("Model", Model);
        foreach (var pair in Extra)
        {
            if (!KeyPattern().IsMatch(pair.Key))
                throw new ArgumentException(
                    $"Generation parameter key '{pair.Key}' must be two or more letters, digits, spaces, '-' or '/', starting with a letter or digit (the keys the infotext parser recognises).");
            Add(pair.Key, pair.Value);
        }

        string negative = NegativePrompt.Length > 0 ? $"\nNegative prompt: {NegativePrompt}" : "";
        return $"{Prompt}{negative}\n{string.Join(", ", settings)}".Trim();
    }

    /// <summary>Parses AUTOMATIC1111 infotext. Known keys fill the properties; everything else goes to <see cref="Extra"/>.</summary>
    /// <param name="text">The text of a <c>parameters</c> chunk.</param>
    public static GenerationParameters Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string[] all = text.Trim().Split('\n');
        var lines = all[..^1].ToList();
        string lastLine = all[^1];
        if (ParamPattern().Matches(lastLine).Count < 3)
        {
            lines.Add(lastLine);
            lastLine = "";
        }

        var prompt = new StringBuilder();
        var negative = new StringBuilder();
        bool inNegative = false;
        foreach (string raw in lines)
        {
            string line = raw.Trim();
            if (line.StartsWith("Negative prompt:", StringComparison.Ordinal))
            {
                inNegative = true;
                line = line["Negative prompt:".Length..].Trim();
            }
            var target = inNegative ? negative : prompt;
            if (target.Length > 0)
                target.Append('\n');
            target.Append(line);
        }

        var result = new GenerationParameters { Prompt = prompt.ToString(), NegativePrompt = negative.ToString() };
        var extra = new List<KeyValuePair<string, string>>();
        foreach (Match m in ParamPattern().Matches(lastLine))
        {
            string key = m.Groups[1].Value;
            if (m.Groups[2].Value.Length == 0)
                continue; // AUTOMATIC1111 skips a key with an empty value (its parser fails on it)
            string value = Unquote(m.Groups[2].Value);
            result = key switch
            {
                "Steps" when int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int steps) => result with { Steps = steps },
                "Sampler" => result with { Sampler = value },
                "CFG scale" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double cfg) => result with { CfgScale = cfg },
                "Seed" when ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong seed) => result with { Seed = seed },
                "Size" when SizePattern().Match(value) is { Success: true } size
                    && int.TryParse(size.Groups[1].Value, CultureInfo.InvariantCulture, out int width)
                    && int.TryParse(size.Groups[2].Value, CultureInfo.InvariantCulture, out int height) => result with { Width = width, Height = height },
                "Model" => result with { Model = value },
                _ => AddExtra(result, extra, key, value),
            };
        }
        return result with { Extra = extra };
    }

    /// <inheritdoc />
    public bool Equals(GenerationParameters? other) =>
        other is not null
        && Prompt == other.Prompt && NegativePrompt == other.NegativePrompt
        && Steps == other.Steps && Sampler == other.Sampler && CfgScale == other.CfgScale && Seed == other.Seed
        && Width == other.Width && Height == other.Height && Model == other.Model
        && Extra.SequenceEqual(other.Extra);

    private bool PrintMembers(StringBuilder builder)
    {
        builder.Append(CultureInfo.InvariantCulture,
            $"Prompt = {Prompt}, NegativePrompt = {NegativePrompt}, Steps = {Steps}, Sampler = {Sampler}, CfgScale = {CfgScale}, ");
        builder.Append(CultureInfo.InvariantCulture,
            $"Seed = {Seed}, Width = {Width}, Height = {Height}, Model = {Model}, Extra = [{string.Join(", ", Extra.Select(p => $"{p.Key}: {p.Value}"))}]");
        return true;
    }

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Prompt, NegativePrompt, Steps, Sampler, CfgScale, Seed, Model, Extra.Count);

    private static GenerationParameters AddExtra(GenerationParameters result, List<KeyValuePair<string, string>> extra, string key, string value)
    {
        extra.Add(new(key, value));
        return result;
    }

    /// <summary>
    /// AUTOMATIC1111's quote(): values with ',', ':' or a newline become JSON strings (non-ASCII
    /// kept as is). Unlike the original, an empty value and a value that itself starts and ends
    /// with '"' are quoted too, so that parsing gives them back unchanged (the original parser
    /// drops empty values and strips such quotes).
    /// </summary>
    internal static string Quote(string value)
    {
        bool looksQuoted = value.Length >= 2 && value[0] == '"' && value[^1] == '"';
        if (value.Length > 0 && !value.Contains(',') && !value.Contains('\n') && !value.Contains(':') && !looksQuoted)
            return value;
        var sb = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < ' ')
                        sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else
                        sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }

    /// <summary>AUTOMATIC1111's unquote(): a JSON string literal is decoded; anything else is kept.</summary>
    internal static string Unquote(string value)
    {
        if (value.Length < 2 || value[0] != '"' || value[^1] != '"')
            return value;
        try
        {
            return JsonSerializer.Deserialize<string>(value) ?? value;
        }
        catch (JsonException)
        {
            return value;
        }
    }

    /// <summary>Python's str() of a float for ordinary magnitudes: shortest round-trip digits, ".0" for whole numbers.</summary>
    internal static string FormatPythonFloat(double value)
    {
        if (double.IsFinite(value) && value == Math.Floor(value) && Math.Abs(value) < 1e16)
            return value.ToString("F0", CultureInfo.InvariantCulture) + ".0";
        return value.ToString("R", CultureInfo.InvariantCulture).Replace("E", "e", StringComparison.Ordinal);
    }

    // AUTOMATIC1111's re_param: a key (word characters, spaces, '-', '/'), a colon, then a
    // JSON-quoted string or anything up to the next comma.
    [GeneratedRegex("""\s*(\w[\w \-/]+):\s*("(?:\\.|[^\\"])+"|[^,]*)(?:,|$)""")]
    private static partial Regex ParamPattern();

    [GeneratedRegex("""^\w[\w \-/]+\z""")]
    private static partial Regex KeyPattern();

    [GeneratedRegex("""^(\d+)x(\d+)$""")]
    private static partial Regex SizePattern();
}
