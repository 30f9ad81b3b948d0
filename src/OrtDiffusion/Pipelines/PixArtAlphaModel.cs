using OrtDiffusion.Models;
using OrtDiffusion.Schedulers;
using OrtDiffusion.Text;

namespace OrtDiffusion.Pipelines;

/// <summary>
/// A PixArt-α model folder in diffusers' layout with ONNX networks, Optimum-style: <c>model_index.json</c>,
/// <c>scheduler/scheduler_config.json</c> (DPM-Solver++), <c>tokenizer/spiece.model</c> (T5 SentencePiece),
/// <c>text_encoder/model.onnx</c> (T5), <c>transformer/model.onnx</c> (+ <c>config.json</c> for <c>sample_size</c>
/// and <c>patch_size</c>) and <c>vae_decoder/model.onnx</c>. Every missing or mismatched piece is reported with the
/// file it concerns and what was expected.
/// </summary>
public sealed class PixArtAlphaModel : IDisposable
{
    /// <summary>PixArt-α's latent scaling factor (SD's VAE), used when the VAE folder does not say.</summary>
    public const float DefaultScalingFactor = 0.18215f;

    private PixArtAlphaModel(string folder, SchedulerConfig scheduler, T5TextEncoder textEncoder, PixArtTransformer transformer, VaeDecoderModel decoder, int? sampleSize, int patchSize, ExecutionOptions options)
    {
        Folder = folder;
        SchedulerConfig = scheduler;
        TextEncoder = textEncoder;
        Transformer = transformer;
        VaeDecoder = decoder;
        SampleSize = sampleSize;
        PatchSize = patchSize;
        Options = options;
    }

    /// <summary>The model folder.</summary>
    public string Folder { get; }

    /// <summary>A short name for PNG parameters: the folder's name.</summary>
    public string Name => Path.GetFileName(Path.TrimEndingDirectorySeparator(Folder));

    /// <summary>The scheduler configuration shipped with the model (DPM-Solver++ for PixArt-α).</summary>
    public SchedulerConfig SchedulerConfig { get; }

    /// <summary>The T5 text encoder and tokenizer.</summary>
    public T5TextEncoder TextEncoder { get; }

    /// <summary>The DiT transformer.</summary>
    public PixArtTransformer Transformer { get; }

    /// <summary>The VAE decoder.</summary>
    public VaeDecoderModel VaeDecoder { get; }

    /// <summary>The transformer's <c>sample_size</c> (latent side it was trained at: 128 for 1024 px, 64 for 512 px), when its config says.</summary>
    public int? SampleSize { get; }

    /// <summary>The transformer's <c>patch_size</c> (2): latent sides must be multiples of it.</summary>
    public int PatchSize { get; }

    /// <summary>Pixels per latent position (8).</summary>
    public int VaeScaleFactor => Transformer.VaeScaleFactor;

    /// <summary>The execution options the networks were opened with.</summary>
    public ExecutionOptions Options { get; }

    /// <summary>Opens the model folder at <paramref name="folder"/>.</summary>
    /// <param name="folder">The folder.</param>
    /// <param name="options">Device and threads.</param>
    /// <param name="maxSequenceLength">T5 tokens per prompt (diffusers' <c>max_sequence_length</c>, 120).</param>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing.</exception>
    /// <exception cref="InvalidDataException">A file does not match the PixArt-α contract, or the folder is a Stable Diffusion model.</exception>
    public static PixArtAlphaModel Load(string folder, ExecutionOptions? options = null, int maxSequenceLength = T5Tokenizer.PixArtMaxLength)
    {
        options ??= ExecutionOptions.Default;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The model folder '{folder}' does not exist.");
        }

        if (DiffusionModelFolder.DetectBackbone(folder) != DiffusionBackbone.PixArtAlpha)
        {
            var className = ModelFolderFiles.ClassName(folder) ?? "Stable Diffusion model (it has unet/model.onnx)";
            throw new InvalidDataException($"'{Path.Combine(folder, "model_index.json")}' describes a {className}; open it with StableDiffusionPipeline, not as PixArt-α.");
        }

        var scheduler = SchedulerConfig.Load(ModelFolderFiles.Required(folder, "scheduler", "scheduler_config.json", "the DPM-Solver++ scheduler configuration"));
        var tokenizer = T5Tokenizer.FromFile(ModelFolderFiles.Required(folder, "tokenizer", "spiece.model", "the T5 SentencePiece tokenizer"), maxSequenceLength);
        var textPath = ModelFolderFiles.Required(folder, "text_encoder", "model.onnx", "the T5 text encoder");
        var transformerPath = ModelFolderFiles.Required(folder, "transformer", "model.onnx", "the PixArt transformer");
        var decoderPath = ModelFolderFiles.Required(folder, "vae_decoder", "model.onnx", "the VAE decoder");
        var sampleSize = (int?)ModelFolderFiles.ConfigNumber(folder, "transformer", "sample_size");
        var patchSize = (int?)ModelFolderFiles.ConfigNumber(folder, "transformer", "patch_size") ?? 2;
        var outChannels = (int?)ModelFolderFiles.ConfigNumber(folder, "transformer", "out_channels");
        var scaling = ModelFolderFiles.ScalingFactor(folder, DefaultScalingFactor);
        var vaeScale = ModelFolderFiles.VaeScaleFactor(folder);
        if (patchSize < 1)
        {
            throw new InvalidDataException($"'{Path.Combine(folder, "transformer", "config.json")}': patch_size {patchSize} must be at least 1.");
        }

        var opened = new List<IDisposable>();
        try
        {
            var textEncoder = Track(new T5TextEncoder(textPath, tokenizer, options, maxSequenceLength), opened);
            var transformer = Track(new PixArtTransformer(transformerPath, vaeScale, outChannels, options), opened);
            var decoder = Track(new VaeDecoderModel(decoderPath, scaling, options), opened);
            return new PixArtAlphaModel(folder, scheduler, textEncoder, transformer, decoder, sampleSize, patchSize, options);
        }
        catch
        {
            foreach (var d in opened)
            {
                d.Dispose();
            }

            throw;
        }
    }

    /// <summary>Closes every network.</summary>
    public void Dispose()
    {
        TextEncoder.Dispose();
        Transformer.Dispose();
        VaeDecoder.Dispose();
    }

    private static T Track<T>(T item, List<IDisposable> opened)
        where T : IDisposable
    {
        opened.Add(item);
        return item;
    }
}
