// Text to image with OrtDiffusion.
//
//   dotnet run --project samples/TextToImage -- [--model DIR] [--prompt TEXT] [--negative TEXT] [--steps N]
//       [--guidance W] [--scheduler ddim|pndm|lms|euler|dpm++] [--seed S] [--size PX] [--out FILE.png]
//
// --model is a Stable Diffusion v1.5 folder in the layout Hugging Face Optimum's ONNX export writes. Without it,
// the sample writes the tiny model zoo's folder (random weights, real layout) into the OrtDiffusion cache and
// generates at 64×64: the image is noise-like, but every stage of the pipeline runs.
using System.Globalization;
using OrtDiffusion.IO;
using OrtDiffusion.Pipelines;
using OrtDiffusion.TinyModels;

var model = Option("--model");
var tiny = model is null;
model ??= TinyZoo.WriteStableDiffusion(Path.Combine(CacheFolders.Get($"tinyzoo-v{TinyZoo.Version}"), "sd15"));
var size = int.Parse(Option("--size") ?? (tiny ? "64" : "512"), CultureInfo.InvariantCulture);
var output = Option("--out") ?? "txt2img.png";

var request = new GenerationRequest
{
    Prompt = Option("--prompt") ?? "a photo of a cat on a mountain at sunset",
    NegativePrompt = Option("--negative") ?? "",
    Steps = int.Parse(Option("--steps") ?? "25", CultureInfo.InvariantCulture),
    GuidanceScale = float.Parse(Option("--guidance") ?? "7.5", CultureInfo.InvariantCulture),
    Scheduler = Option("--scheduler"), // null: the scheduler in the model's scheduler_config.json
    Seed = ulong.Parse(Option("--seed") ?? "0", CultureInfo.InvariantCulture),
    Width = size,
    Height = size,
};

using var pipeline = StableDiffusionPipeline.Load(model);
var result = pipeline.Generate(request);
result.SavePng(output); // the PNG carries the parameters in a "parameters" text chunk, as other SD tools write it

Console.WriteLine($"wrote {Path.GetFullPath(output)} ({result.Elapsed.TotalSeconds:F2} s, {result.UnetCalls} UNet calls)");
Console.WriteLine(result.Parameters.Format());
return 0;

// The value after `name` on the command line, or null when the option is absent.
string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
