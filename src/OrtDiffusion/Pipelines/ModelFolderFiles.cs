using System.Text.Json;

namespace OrtDiffusion.Pipelines;

/// <summary>Reading a diffusers/Optimum model folder: required files, <c>model_index.json</c>, component configs.</summary>
internal static class ModelFolderFiles
{
    /// <summary>The path of <c>component/file</c>, or a <see cref="FileNotFoundException"/> naming it and its role.</summary>
    public static string Required(string folder, string component, string file, string what)
    {
        var path = Path.Combine(folder, component, file);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The model folder '{folder}' has no {component}/{file} ({what}).", path);
        }

        return path;
    }

    /// <summary><c>_class_name</c> of <c>model_index.json</c> (null when absent); the file itself must exist and be JSON.</summary>
    public static string? ClassName(string folder)
    {
        var path = Path.Combine(folder, "model_index.json");
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The model folder '{folder}' has no model_index.json; is it a diffusers/Optimum export?", path);
        }

        using var doc = Parse(path);
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("_class_name", out var c) && c.ValueKind == JsonValueKind.String
            ? c.GetString()
            : null;
    }

    /// <summary>A number from a component's <c>config.json</c>, or null when the file or the key is absent.</summary>
    public static double? ConfigNumber(string folder, string component, string key)
    {
        var path = Path.Combine(folder, component, "config.json");
        if (!File.Exists(path))
        {
            return null;
        }

        using var doc = Parse(path);
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number
            ? v.GetDouble()
            : null;
    }

    /// <summary>The VAE's latent scaling factor from <c>vae_decoder/config.json</c> or <c>vae/config.json</c>, else <paramref name="fallback"/>.</summary>
    public static float ScalingFactor(string folder, float fallback) =>
        (float?)(ConfigNumber(folder, "vae_decoder", "scaling_factor") ?? ConfigNumber(folder, "vae", "scaling_factor")) ?? fallback;

    /// <summary>Pixels per latent position: diffusers' <c>2 ** (len(block_out_channels) − 1)</c> from the VAE config, else 8.</summary>
    public static int VaeScaleFactor(string folder)
    {
        foreach (var component in new[] { "vae_decoder", "vae" })
        {
            var path = Path.Combine(folder, component, "config.json");
            if (!File.Exists(path))
            {
                continue;
            }

            using var doc = Parse(path);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("block_out_channels", out var blocks) && blocks.ValueKind == JsonValueKind.Array && blocks.GetArrayLength() > 0)
            {
                return 1 << (blocks.GetArrayLength() - 1);
            }
        }

        return 8;
    }

    private static JsonDocument Parse(string path)
    {
        try
        {
            return JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {e.Message}", e);
        }
    }
}
