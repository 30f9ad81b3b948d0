using OrtDiffusion.Imaging;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Pipelines;

/// <summary>The images of a generation and what produced them.</summary>
public sealed class GenerationResult
{
    internal GenerationResult(FloatTensor images, FloatTensor latents, PromptEmbeddings embeddings, GenerationParameters parameters, TimeSpan elapsed, int denoiserCalls, bool promptTruncated)
    {
        Images = images;
        Latents = latents;
        Embeddings = embeddings;
        Parameters = parameters;
        Elapsed = elapsed;
        DenoiserCalls = denoiserCalls;
        PromptTruncated = promptTruncated;
    }

    /// <summary>The decoded images <c>[batch, 3, H, W]</c> in about [−1, 1], at the requested size.</summary>
    public FloatTensor Images { get; }

    /// <summary>The final latents (scaled, as the denoiser sees them), at the generated size (PixArt's resolution bin).</summary>
    public FloatTensor Latents { get; }

    /// <summary>The embeddings at the end of sampling (DATE changes the conditional one).</summary>
    public PromptEmbeddings Embeddings { get; }

    /// <summary>Generation parameters in the format other SD tools read from PNGs.</summary>
    public GenerationParameters Parameters { get; }

    /// <summary>Wall time of the generation.</summary>
    public TimeSpan Elapsed { get; }

    /// <summary>Denoiser evaluations made — UNet or transformer forward calls, recorded ones included (a batched CFG call counts once).</summary>
    public int DenoiserCalls { get; }

    /// <summary>The same count as <see cref="DenoiserCalls"/> under its Stable Diffusion name.</summary>
    public int UnetCalls => DenoiserCalls;

    /// <summary>Whether the prompt had more tokens than the encoder takes and was cut.</summary>
    public bool PromptTruncated { get; }

    /// <summary>The images as 8-bit RGB, converted as diffusers does.</summary>
    public PixelImage[] ToPixelImages() =>
        ImageTensor.ToImages(Images.Data, [.. Images.Shape.Select(d => (int)d)], ImageValueRange.MinusOneToOne);

    /// <summary>
    /// The final images in [0, 1], as rewards take them: x / 2 + 0.5 clamped, as diffusers returns its output and as
    /// the PNG holds it before 8-bit rounding. (DATE's x̄₀ inside sampling is scored without a clamp; that path does not use this.)
    /// </summary>
    public FloatTensor ImagesZeroToOne()
    {
        var data = new float[Images.Length];
        System.Numerics.Tensors.TensorPrimitives.Multiply(Images.Data, 0.5f, data);
        System.Numerics.Tensors.TensorPrimitives.Add(data, 0.5f, data);
        System.Numerics.Tensors.TensorPrimitives.Clamp(data, 0f, 1f, data);
        return new FloatTensor(data, Images.Shape);
    }

    /// <summary>Writes image <paramref name="index"/> as a PNG with the parameters embedded (atomically).</summary>
    public void SavePng(string path, int index = 0, CancellationToken cancellationToken = default)
    {
        var images = ToPixelImages();
        if (index < 0 || index >= images.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(index), index, $"The result holds {images.Length} image(s).");
        }

        PngWriter.Write(path, images[index], Parameters, cancellationToken: cancellationToken);
    }
}
