using System.CommandLine;
using OrtDiffusion.Imaging;
using OrtDiffusion.IO;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Runtime;
using OrtDiffusion.Schedulers;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Cli.Commands;

/// <summary>The options <c>generate</c> shares with other commands that sample images.</summary>
internal sealed class GenerateOptions
{
    public Option<DirectoryInfo> Model { get; } = new("--model") { Description = "The model folder (Optimum layout).", Required = true };

    public Option<string> Prompt { get; } = new("--prompt") { Description = "The prompt.", Required = true };

    public Option<string> Negative { get; } = new("--negative") { Description = "The negative prompt.", DefaultValueFactory = _ => string.Empty };

    public Option<string?> Scheduler { get; } = new("--scheduler") { Description = $"Scheduler: {string.Join("|", SchedulerFactory.Names)} (default: the model's own)." };

    public Option<int?> Steps { get; } = new("--steps") { Description = "Sampling steps (default: the backbone's, SD v1.5 50, PixArt-α 20)." };

    public Option<float?> Guidance { get; } = new("--guidance") { Description = "Classifier-free guidance scale (default: the backbone's, SD v1.5 7.5, PixArt-α 4.5)." };

    public Option<ulong> Seed { get; } = new("--seed") { Description = "Seed (torch-compatible: the same seed gives diffusers' noise).", DefaultValueFactory = _ => 0UL };

    public Option<int?> Width { get; } = new("--width") { Description = "Image width: a multiple of 8 for SD; any size for PixArt-α, which samples at the nearest trained aspect bucket and resizes back (default: the model's native size)." };

    public Option<int?> Height { get; } = new("--height") { Description = "Image height (as --width)." };

    public Option<int> Batch { get; } = new("--batch") { Description = "Images per prompt.", DefaultValueFactory = _ => 1 };

    public Option<float> Eta { get; } = new("--eta") { Description = "DDIM η (0 = deterministic).", DefaultValueFactory = _ => 0f };

    public Option<FileInfo?> InitLatents { get; } = new("--init-latents") { Description = "Start from this noise (.npy, [batch,4,H/8,W/8])." };

    public Option<FileInfo?> InitImage { get; } = new("--init-image") { Description = "Start from this image (PNG), noised to --strength (image-to-image)." };

    public Option<float> Strength { get; } = new("--strength") { Description = "Image-to-image strength in [0, 1].", DefaultValueFactory = _ => 0.8f };

    public Option<ExecutionDevice> Device { get; } = DeviceOption.Create();

    public IEnumerable<Option> All =>
        [Model, Prompt, Negative, Scheduler, Steps, Guidance, Seed, Width, Height, Batch, Eta, InitLatents, InitImage, Strength, Device];

    /// <summary>The request these options describe, with <paramref name="defaults"/> (the backbone's) for what was not given.</summary>
    public GenerationRequest ToRequest(ParseResult r, GenerationRequest defaults)
    {
        var width = r.GetValue(Width) ?? defaults.Width;
        var height = r.GetValue(Height) ?? defaults.Height;
        FloatTensor? latents = null;
        if (r.GetValue(InitLatents) is { } latentFile)
        {
            var array = NpyFile.Read(latentFile.FullName);
            latents = new FloatTensor(array.ToFloat32(), array.Shape);
        }

        FloatTensor? image = null;
        if (r.GetValue(InitImage) is { } imageFile)
        {
            var pixels = PngReader.Read(imageFile.FullName).Image.ToRgb();
            if (pixels.Width != width || pixels.Height != height)
            {
                pixels = ImageResize.Lanczos(pixels, width, height);
            }

            image = new FloatTensor(ImageTensor.FromImage(pixels), 1, 3, height, width);
        }

        return defaults with
        {
            Prompt = r.GetValue(Prompt)!,
            NegativePrompt = r.GetValue(Negative) ?? string.Empty,
            Scheduler = r.GetValue(Scheduler) ?? defaults.Scheduler,
            Steps = r.GetValue(Steps) ?? defaults.Steps,
            GuidanceScale = r.GetValue(Guidance) ?? defaults.GuidanceScale,
            Seed = r.GetValue(Seed),
            Width = width,
            Height = height,
            BatchSize = r.GetValue(Batch),
            Eta = r.GetValue(Eta),
            InitialLatents = latents,
            InitImage = image,
            Strength = r.GetValue(Strength),
        };
    }

    /// <summary>The output paths: FILE.png for one image, FILE-0.png, FILE-1.png… for a batch.</summary>
    public static string[] OutputPaths(string path, int count)
    {
        if (count == 1)
        {
            return [path];
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var stem = Path.GetFileNameWithoutExtension(path);
        var extension = Path.GetExtension(path);
        return [.. Enumerable.Range(0, count).Select(i => Path.Combine(folder, $"{stem}-{i}{extension}"))];
    }
}
