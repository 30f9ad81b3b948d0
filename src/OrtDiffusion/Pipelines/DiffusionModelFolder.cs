using OrtDiffusion.Models;

namespace OrtDiffusion.Pipelines;

/// <summary>The text-to-image backbones the library runs.</summary>
public enum DiffusionBackbone
{
    /// <summary>Stable Diffusion v1.5 (CLIP text encoder, UNet, VAE): <see cref="StableDiffusionPipeline"/>.</summary>
    StableDiffusion,

    /// <summary>PixArt-α (T5 encoder, DiT transformer, VAE): <see cref="PixArtAlphaPipeline"/>.</summary>
    PixArtAlpha,
}

/// <summary>Tells model folders apart and opens the right pipeline for one.</summary>
public static class DiffusionModelFolder
{
    /// <summary>
    /// The backbone of the model folder at <paramref name="folder"/>, decided by <c>model_index.json</c>'s
    /// <c>_class_name</c> (a PixArt-α pipeline class, or a Stable Diffusion one such as Optimum's
    /// <c>ORTStableDiffusionPipeline</c>); when the class names neither, by which denoiser folder exists
    /// (<c>transformer/</c> or <c>unet/</c>).
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException"><c>model_index.json</c> is missing.</exception>
    /// <exception cref="NotSupportedException">The folder is a model the library does not run (SDXL, PixArt-Σ, …).</exception>
    /// <exception cref="InvalidDataException">Nothing tells which backbone it is.</exception>
    public static DiffusionBackbone DetectBackbone(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The model folder '{folder}' does not exist.");
        }

        var className = ModelFolderFiles.ClassName(folder);
        if (className is not null)
        {
            if (Contains(className, "PixArtSigma") || Contains(className, "StableDiffusionXL") || Contains(className, "StableDiffusion3"))
            {
                throw new NotSupportedException($"'{Path.Combine(folder, "model_index.json")}' describes a {className}; OrtDiffusion runs Stable Diffusion v1.5-style and PixArt-α folders only.");
            }

            if (Contains(className, "PixArt"))
            {
                return DiffusionBackbone.PixArtAlpha;
            }

            if (Contains(className, "StableDiffusion"))
            {
                return DiffusionBackbone.StableDiffusion;
            }
        }

        var transformer = File.Exists(Path.Combine(folder, "transformer", "model.onnx"));
        var unet = File.Exists(Path.Combine(folder, "unet", "model.onnx"));
        return (transformer, unet) switch
        {
            (true, false) => DiffusionBackbone.PixArtAlpha,
            (false, true) => DiffusionBackbone.StableDiffusion,
            _ => throw new InvalidDataException(
                $"Cannot tell the backbone of '{folder}': model_index.json's _class_name is {(className is null ? "missing" : $"'{className}'")} and the folder has " +
                $"{(transformer ? "both transformer/model.onnx and unet/model.onnx" : "neither transformer/model.onnx (PixArt-α) nor unet/model.onnx (Stable Diffusion)")}."),
        };
    }

    /// <summary>Opens the pipeline <see cref="DetectBackbone"/> picks (disposing it closes the model).</summary>
    public static IDiffusionPipeline OpenPipeline(string folder, ExecutionOptions? options = null) => DetectBackbone(folder) switch
    {
        DiffusionBackbone.PixArtAlpha => PixArtAlphaPipeline.Load(folder, options),
        _ => StableDiffusionPipeline.Load(folder, options),
    };

    private static bool Contains(string text, string part) => text.Contains(part, StringComparison.OrdinalIgnoreCase);
}
