using System.Globalization;
using System.Text;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// A method as <c>--method</c> names it: <c>NAME</c> or <c>NAME:key=value,key=value,…</c>, e.g. <c>fixed</c> or
/// <c>date:every=10,rho=0.5,reward=rewards/clip</c>. A key without <c>=value</c> is a flag (value <c>true</c>). Values
/// may contain <c>=</c> (everything after the first <c>=</c> is the value) but not commas. The option <c>label</c> names
/// the method in tables and folders; without it the label is made from the name and options.
/// </summary>
public sealed class MethodSpec
{
    private readonly List<KeyValuePair<string, string>> options;

    private MethodSpec(string text, string name, List<KeyValuePair<string, string>> options)
    {
        Text = text;
        Name = name;
        this.options = options;
        Label = Get("label") is { } label ? CheckLabel(label, text) : DefaultLabel(name, options);
    }

    /// <summary>The text as given.</summary>
    public string Text { get; }

    /// <summary>The method name (lower case), the key of <see cref="EvaluationMethodRegistry"/>.</summary>
    public string Name { get; }

    /// <summary>The options in the order given.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Options => options;

    /// <summary>The method's name in tables, JSON and folder names (<c>images/&lt;label&gt;/</c>): letters, digits and <c>. _ + -</c>.</summary>
    public string Label { get; }

    /// <summary>Parses <c>NAME[:key=value,…]</c>.</summary>
    /// <exception cref="FormatException">An empty text, name, key or value, a key given twice, or a label with characters a folder name cannot safely hold.</exception>
    public static MethodSpec Parse(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new FormatException("A method must be given as NAME or NAME:key=value,…; got an empty value.");
        }

        text = text.Trim();
        var colon = text.IndexOf(':');
        var name = (colon < 0 ? text : text[..colon]).Trim().ToLowerInvariant();
        if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
        {
            throw new FormatException($"Method '{text}': '{name}' is not a method name (letters, digits, - and _; e.g. fixed or date).");
        }

        var options = new List<KeyValuePair<string, string>>();
        if (colon >= 0)
        {
            var body = text[(colon + 1)..];
            if (body.Trim().Length == 0)
            {
                throw new FormatException($"Method '{text}': nothing after ':'; give key=value options or drop the colon.");
            }

            foreach (var raw in body.Split(','))
            {
                var item = raw.Trim();
                if (item.Length == 0)
                {
                    throw new FormatException($"Method '{text}': an empty option (two commas in a row, or a trailing comma).");
                }

                var equals = item.IndexOf('=');
                var key = (equals < 0 ? item : item[..equals]).Trim().ToLowerInvariant();
                var value = equals < 0 ? "true" : item[(equals + 1)..].Trim();
                if (key.Length == 0)
                {
                    throw new FormatException($"Method '{text}': option '{item}' has no key; write key=value.");
                }

                if (value.Length == 0)
                {
                    throw new FormatException($"Method '{text}': option '{key}' has an empty value.");
                }

                if (options.Any(o => o.Key == key))
                {
                    throw new FormatException($"Method '{text}': option '{key}' is given twice.");
                }

                options.Add(KeyValuePair.Create(key, value));
            }
        }

        return new MethodSpec(text, name, options);
    }

    /// <summary>The value of option <paramref name="key"/>, or null.</summary>
    public string? Get(string key) => options.FirstOrDefault(o => o.Key == key).Value;

    /// <summary>Throws unless every option is one of <paramref name="known"/> (plus <c>label</c>, which every method takes).</summary>
    /// <exception cref="FormatException">An unknown option, naming it and the known ones.</exception>
    public void RequireKnownOptions(params string[] known)
    {
        ArgumentNullException.ThrowIfNull(known);
        foreach (var (key, _) in options)
        {
            if (key != "label" && !known.Contains(key))
            {
                var list = known.Length == 0 ? "none besides label" : string.Join(", ", known.Append("label"));
                throw new FormatException($"Method '{Text}': unknown option '{key}'; {Name} takes {list}.");
            }
        }
    }

    /// <summary>Option <paramref name="key"/> as a finite float, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="FormatException">The value is not a finite number.</exception>
    public float GetFloat(string key, float fallback)
    {
        if (Get(key) is not { } text)
        {
            return fallback;
        }

        return float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value)
            ? value
            : throw new FormatException($"Method '{Text}': {key}={text} is not a number.");
    }

    /// <summary>Option <paramref name="key"/> as an integer, or <paramref name="fallback"/> when absent.</summary>
    /// <exception cref="FormatException">The value is not an integer.</exception>
    public int GetInt(string key, int fallback)
    {
        if (Get(key) is not { } text)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"Method '{Text}': {key}={text} is not a whole number.");
    }

    /// <summary>Option <paramref name="key"/> as a flag (<c>key</c>, <c>key=true|false|1|0|yes|no</c>), false when absent.</summary>
    /// <exception cref="FormatException">The value is not a truth value.</exception>
    public bool GetFlag(string key) => Get(key)?.ToLowerInvariant() switch
    {
        null => false,
        "true" or "1" or "yes" => true,
        "false" or "0" or "no" => false,
        var other => throw new FormatException($"Method '{Text}': {key}={other} is not true or false."),
    };

    /// <inheritdoc />
    public override string ToString() => Text;

    private static string CheckLabel(string label, string text)
    {
        if (label is "." or ".." || !label.All(IsLabelChar))
        {
            throw new FormatException($"Method '{text}': label '{label}' may hold only letters, digits and . _ + - (it names a folder).");
        }

        return label;
    }

    // "date:every=10,rho=0.5,reward=rewards/clip" → "date-every10-rho0.5-clip": option values, with folders by their last part.
    private static string DefaultLabel(string name, List<KeyValuePair<string, string>> options)
    {
        var label = new StringBuilder(name);
        foreach (var (key, value) in options)
        {
            label.Append('-');
            if (key == "reward" || key == "tokens")
            {
                label.Append(string.Join('+', value.Split('+').Select(ShortPath)));
            }
            else
            {
                label.Append(key).Append(value == "true" ? string.Empty : value);
            }
        }

        return new string([.. label.ToString().Select(c => IsLabelChar(c) ? c : '_')]);
    }

    // rewards/clip=0.5 → clip=0.5 → "clip0.5"; the weight is kept, the path is not.
    private static string ShortPath(string value)
    {
        var equals = value.LastIndexOf('=');
        var (path, weight) = equals > 0 && float.TryParse(value[(equals + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? (value[..equals], value[(equals + 1)..])
            : (value, string.Empty);
        var name = Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(path.Replace('\\', '/')));
        return weight.Length == 0 ? name : $"{name}x{weight}";
    }

    private static bool IsLabelChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '+' or '-';
}
