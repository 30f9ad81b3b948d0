using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// The one place an evaluation opens its diffusion model: any backbone <see cref="DiffusionModelFolder"/> recognises
/// (Stable Diffusion v1.5 or PixArt-α), through <see cref="IDiffusionPipeline"/>. Methods that work on every backbone
/// use <see cref="Pipeline"/>; a method that truly needs Stable Diffusion (IPGO's CLIP tokens) takes
/// <see cref="StableDiffusion"/>, which refuses other backbones with <see cref="NotSupportedException"/>.
/// </summary>
public sealed class EvaluationBackbone : IDisposable
{
    private EvaluationBackbone(string folder, IDiffusionPipeline pipeline)
    {
        Folder = folder;
        Pipeline = pipeline;
    }

    /// <summary>The model folder.</summary>
    public string Folder { get; }

    /// <summary>The pipeline, whatever the backbone.</summary>
    public IDiffusionPipeline Pipeline { get; }

    /// <summary>Which backbone the folder holds.</summary>
    public DiffusionBackbone Backbone => Pipeline.Backbone;

    /// <summary>The Stable Diffusion pipeline, for methods that need its CLIP text encoder or UNet.</summary>
    /// <exception cref="NotSupportedException">The folder holds another backbone.</exception>
    public StableDiffusionPipeline StableDiffusion =>
        Pipeline as StableDiffusionPipeline
        ?? throw new NotSupportedException($"'{Folder}' holds a {Backbone} model; this method needs a Stable Diffusion model.");

    /// <summary>Opens the model in <paramref name="folder"/> with the pipeline its backbone needs.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="NotSupportedException">The folder holds a model the library does not run.</exception>
    /// <exception cref="InvalidDataException">Nothing tells which backbone the folder holds.</exception>
    public static EvaluationBackbone Load(string folder, ExecutionOptions options)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        return new EvaluationBackbone(folder, DiffusionModelFolder.OpenPipeline(folder, options));
    }

    /// <summary>Closes the model.</summary>
    public void Dispose() => Pipeline.Dispose();
}
