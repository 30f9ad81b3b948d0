// IPGO (Indirect Prompt Gradient Optimization) learns prefix and suffix tokens P and S that go around the text
// encoder's output E of the unpadded prompt: c = [P; E; S]. This sample runs the generation side those tokens plug
// into, through GenerationRequest.Embeddings; the training side is not part of this OrtDiffusion build.
//
//   dotnet run --project samples/Ipgo -- [--model DIR] [--prompt TEXT] [--prefix P.npy] [--suffix S.npy]
//       [--steps N] [--seed S] [--size PX] [--out FILE.png]
//
// P.npy and S.npy hold float32 token vectors [n, width] (or [1, n, width]), width being the text encoder's
// (768 for SD v1.5). Without them c = E. Without --model the tiny model zoo's folder is written into the cache
// and the sample generates at 64×64.
using System.Globalization;
using OrtDiffusion.Imaging;
using OrtDiffusion.IO;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Tensors;
using OrtDiffusion.TinyModels;

var model = Option("--model");
var tiny = model is null;
model ??= TinyZoo.WriteStableDiffusion(Path.Combine(CacheFolders.Get($"tinyzoo-v{TinyZoo.Version}"), "sd15"));
var size = int.Parse(Option("--size") ?? (tiny ? "64" : "512"), CultureInfo.InvariantCulture);
var output = Option("--out") ?? "ipgo.png";
var prompt = Option("--prompt") ?? "a photo of a cat on a mountain at sunset";

Console.WriteLine("IPGO: generating from prefix/suffix token vectors around the prompt (learning them is not part of this build; pass them with --prefix/--suffix).");
using var pipeline = StableDiffusionPipeline.Load(model);
var encoder = pipeline.Model.TextEncoder;

// E: BOS, the prompt's tokens, EOS — no padding, so the learned tokens sit right next to the prompt.
var prompted = pipeline.EncodePrompt(prompt, padded: false).Embedding;
var width = (int)prompted.Shape[2];
var prefix = ReadTokens(Option("--prefix"), width);
var suffix = ReadTokens(Option("--suffix"), width);
var length = prefix.Length / width + (int)prompted.Shape[1] + suffix.Length / width;
if (length > encoder.Tokenizer.ModelMaxLength)
{
    throw new ArgumentException($"The prefix, the prompt and the suffix make {length} tokens; the text encoder takes at most {encoder.Tokenizer.ModelMaxLength}.");
}

float[] conditional = [.. prefix, .. prompted.Data, .. suffix];
// The unconditional branch of CFG: the empty prompt's encoding padded to the same length.
var unconditional = encoder.EncodeIds(encoder.Tokenizer.Encode("", maxLength: length).Ids);
var embeddings = new PromptEmbeddings(new FloatTensor(conditional, 1, length, width), unconditional);

var request = new GenerationRequest
{
    Prompt = prompt, // recorded in the PNG; the embeddings below are what the UNet sees
    Embeddings = embeddings,
    Steps = int.Parse(Option("--steps") ?? "50", CultureInfo.InvariantCulture),
    Scheduler = "lms", // IPGO samples with LMS, 50 steps, CFG 7.5
    Seed = ulong.Parse(Option("--seed") ?? "0", CultureInfo.InvariantCulture),
    Width = size,
    Height = size,
};
var result = pipeline.Generate(request);
var parameters = result.Parameters with
{
    Extra = [.. result.Parameters.Extra, KeyValuePair.Create("Prefix tokens", Count(prefix)), KeyValuePair.Create("Suffix tokens", Count(suffix))],
};
PngWriter.Write(output, result.ToPixelImages()[0], parameters);

Console.WriteLine($"c = [P; E; S]: {Count(prefix)} prefix + {prompted.Shape[1]} prompt + {Count(suffix)} suffix tokens, width {width}");
Console.WriteLine($"wrote {Path.GetFullPath(output)} ({result.Elapsed.TotalSeconds:F2} s, {result.UnetCalls} UNet calls)");
return 0;

string Count(float[] tokens) => (tokens.Length / width).ToString(CultureInfo.InvariantCulture);

// Token vectors from a .npy file, row after row; none when no file is given.
static float[] ReadTokens(string? path, int width)
{
    if (path is null)
    {
        return [];
    }

    var array = NpyFile.Read(path);
    var shape = array.Shape;
    var rows = shape.Length == 2 || (shape.Length == 3 && shape[0] == 1);
    if (!rows || shape[^1] != width)
    {
        throw new ArgumentException($"'{path}' holds {array.ShapeText}; token vectors must be [n, {width}] or [1, n, {width}].");
    }

    return array.ToFloat32();
}

// The value after `name` on the command line, or null when the option is absent.
string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
