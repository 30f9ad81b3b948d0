using System.Text.Json;
using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// The one place an evaluation opens its diffusion model. Today it opens Stable Diffusion folders; a PixArt-α
/// folder is recognised by its <c>model_index.json</c> and refused with a clear message until its pipeline joins
/// here (add a <c>PixArt</c> property next to <see cref="StableDiffusion"/> and open it in <see cref="Load"/>).
/// Methods take the pipeline they support and throw <see cref="NotSupportedException"/> otherwise.
/// </summary>
public sealed class EvaluationBackbone : IDisposable
{
    private readonly StableDiffusionPipeline? stableDiffusion;

    private EvaluationBackbone(string folder, StableDiffusionPipeline pipeline)
    {
        Folder = folder;
        stableDiffusion = pipeline;
    }

    /// <summary>The model folder.</summary>
    public string Folder { get; }

    /// <summary>The Stable Diffusion pipeline.</summary>
    /// <exception cref="NotSupportedException">The folder holds another kind of model.</exception>
    public StableDiffusionPipeline StableDiffusion =>
        stableDiffusion ?? throw new NotSupportedException($"'{Folder}' is not a Stable Diffusion model; this method needs one.");

    /// <summary>Opens the model in <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="NotSupportedException">The folder holds a PixArt-α model (not evaluated yet).</exception>
    public static EvaluationBackbone Load(string folder, ExecutionOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var index = Path.Combine(folder, "model_index.json");
        if (File.Exists(index) && ClassName(index) is { } name && name.Contains("PixArt", StringComparison.OrdinalIgnoreCase))
        {
            throw new NotSupportedException($"'{folder}' holds a {name}; ortdiff eval runs Stable Diffusion models for now.");
        }

        return new EvaluationBackbone(folder, StableDiffusionPipeline.Load(folder, options));
    }

    /// <summary>Closes the model.</summary>
    public void Dispose() => stableDiffusion?.Dispose();

    private static string? ClassName(string path)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.TryGetProperty("_class_name", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
        }
        catch (JsonException)
        {
            return null; // StableDiffusionModel.Load reports the broken file with its own message
        }
    }
}
