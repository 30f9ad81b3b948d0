using OrtDiffusion.Models;
using OrtDiffusion.Schedulers;
using OrtDiffusion.Text;

namespace OrtDiffusion.Pipelines;

/// <summary>
/// A Stable Diffusion model folder in the layout Hugging Face Optimum's ONNX export writes:
/// <c>model_index.json</c>, <c>scheduler/</c>, <c>tokenizer/</c>, <c>text_encoder/</c>, <c>unet/</c>,
/// <c>vae_decoder/</c> and optionally <c>vae_encoder/</c>. Every missing or mismatched piece is reported
/// with the file it concerns and what was expected.
/// </summary>
public sealed class StableDiffusionModel : IDisposable
{
    /// <summary>SD v1.5's latent scaling factor, used when the VAE folder does not say.</summary>
    public const float DefaultScalingFactor = 0.18215f;

    private StableDiffusionModel(string folder, SchedulerConfig scheduler, ClipTextEncoder textEncoder, UNetModel unet, VaeDecoderModel decoder, VaeEncoderModel? encoder, ExecutionOptions options)
    {
        Folder = folder;
        SchedulerConfig = scheduler;
        TextEncoder = textEncoder;
        Unet = unet;
        VaeDecoder = decoder;
        VaeEncoder = encoder;
        Options = options;
    }

    /// <summary>The model folder.</summary>
    public string Folder { get; }

    /// <summary>A short name for PNG parameters: the folder's name.</summary>
    public string Name => Path.GetFileName(Path.TrimEndingDirectorySeparator(Folder));

    /// <summary>The scheduler configuration shipped with the model.</summary>
    public SchedulerConfig SchedulerConfig { get; }

    /// <summary>The CLIP text encoder and tokenizer.</summary>
    public ClipTextEncoder TextEncoder { get; }

    /// <summary>The UNet.</summary>
    public UNetModel Unet { get; }

    /// <summary>The VAE decoder.</summary>
    public VaeDecoderModel VaeDecoder { get; }

    /// <summary>The VAE encoder, when the folder has one (image-to-image needs it).</summary>
    public VaeEncoderModel? VaeEncoder { get; }

    /// <summary>The execution options the networks were opened with.</summary>
    public ExecutionOptions Options { get; }

    /// <summary>Opens the model folder at <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException">A required file is missing.</exception>
    /// <exception cref="InvalidDataException">A file does not match the Stable Diffusion contract.</exception>
    public static StableDiffusionModel Load(string folder, ExecutionOptions? options = null)
    {
        options ??= ExecutionOptions.Default;
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The model folder '{folder}' does not exist.");
        }

        CheckModelIndex(folder);
        var scheduler = SchedulerConfig.Load(Required(folder, "scheduler", "scheduler_config.json", "the scheduler configuration"));
        var tokenizerFolder = Path.Combine(folder, "tokenizer");
        if (!Directory.Exists(tokenizerFolder))
        {
            throw new DirectoryNotFoundException($"The model folder '{folder}' has no tokenizer/ folder (vocab.json and merges.txt of the CLIP tokenizer).");
        }

        var tokenizer = ClipTokenizer.FromFolder(tokenizerFolder);
        var scaling = ScalingFactor(folder);
        var opened = new List<IDisposable>();
        try
        {
            var textEncoder = Track(new ClipTextEncoder(Required(folder, "text_encoder", "model.onnx", "the CLIP text encoder"), tokenizer, options), opened);
            var unet = Track(new UNetModel(Required(folder, "unet", "model.onnx", "the UNet"), options), opened);
            var decoder = Track(new VaeDecoderModel(Required(folder, "vae_decoder", "model.onnx", "the VAE decoder"), scaling, options), opened);
            var encoderPath = Path.Combine(folder, "vae_encoder", "model.onnx");
            var encoder = File.Exists(encoderPath) ? Track(new VaeEncoderModel(encoderPath, scaling, options), opened) : null;
            return new StableDiffusionModel(folder, scheduler, textEncoder, unet, decoder, encoder, options);
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
        Unet.Dispose();
        VaeDecoder.Dispose();
        VaeEncoder?.Dispose();
    }

    private static T Track<T>(T item, List<IDisposable> opened)
        where T : IDisposable
    {
        opened.Add(item);
        return item;
    }

    private static string Required(string folder, string component, string file, string what) =>
        ModelFolderFiles.Required(folder, component, file, what);

    private static void CheckModelIndex(string folder)
    {
        var className = ModelFolderFiles.ClassName(folder);
        if (className is not null && className.Contains("PixArt", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidDataException($"'{Path.Combine(folder, "model_index.json")}' describes a {className}; open it with PixArtAlphaPipeline, not as Stable Diffusion.");
        }
    }

    private static float ScalingFactor(string folder) => ModelFolderFiles.ScalingFactor(folder, DefaultScalingFactor);
}
