// IPGO (Indirect Prompt Gradient Optimization): learn prefix and suffix tokens P and S that go around the text
// encoder's output E of the unpadded prompt, c = [P; E; S], by back-propagating a reward through the last sampling
// step, the VAE decoder and the reward model. The sample trains tokens on one prompt and prints the reward of every
// epoch, saves them to a tokens file, loads that file back (as a later process would) and generates the training
// prompt and an unseen prompt with the learned tokens, scoring each against the same prompt without them.
//
//   dotnet run --project samples/Ipgo -- [--model DIR] [--reward DIR[=WEIGHT]]... [--prompt TEXT] [--unseen TEXT]
//       [--epochs N] [--lr X] [--steps N] [--seed S] [--size PX] [--out DIR]
//
// --model is a Stable Diffusion v1.5 ONNX folder; --reward a reward folder (model.onnx + reward.json, as
// onnx-export/ writes them), repeated with weights for a weighted sum. Either one left out comes from the tiny model
// zoo (its aesthetic reward), written into the OrtDiffusion cache; on the zoo the defaults (64×64, 8 LMS steps,
// 10 epochs, learning rate 10⁻², as its random-weight reward moves slowly at the paper's 10⁻³) train in about two
// seconds. On a real model the defaults are the paper's but for the epochs: it trains 50 (--epochs 50).
// Writes DIR/tokens.ipgo (after every epoch, so an interrupted run keeps its last epoch), DIR/trained.png and
// DIR/unseen.png.
using System.Globalization;
using System.Numerics.Tensors;
using OrtDiffusion.Imaging;
using OrtDiffusion.IO;
using OrtDiffusion.Ipgo;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels;

var zoo = CacheFolders.Get($"tinyzoo-v{TinyZoo.Version}");
var model = Option("--model");
var tiny = model is null;
model ??= TinyZoo.WriteStableDiffusion(Path.Combine(zoo, "sd15"));
string[] rewards = Options("--reward") is { Length: > 0 } given
    ? given
    : [TinyZoo.WriteReward(Path.Combine(zoo, "rewards", TinyZoo.RewardFolderName(RewardKind.Aesthetic)), RewardKind.Aesthetic)];
var prompt = Option("--prompt") ?? "a photo of a cat on a mountain at sunset";
var unseen = Option("--unseen") ?? "a watercolor of a lighthouse in a storm";
var output = Option("--out") ?? "ipgo-sample";
var tokensPath = Path.Combine(output, "tokens.ipgo");
Directory.CreateDirectory(output);

using var pipeline = StableDiffusionPipeline.Load(model);
using var reward = RewardSpec.Load(rewards);
var trainer = new IpgoTrainer(pipeline, reward);

// The paper's single-prompt settings (10 + 10 tokens, Adam, LMS, CFG 7.5) with the basis size fitted to the encoder's
// width; fewer epochs, and on the zoo a small, quick sampling.
var size = Int("--size", tiny ? 64 : 512);
var options = IpgoOptions.ForTextWidth(trainer.TextWidth) with
{
    Epochs = Int("--epochs", 10),
    LearningRate = double.Parse(Option("--lr") ?? (tiny ? "1e-2" : "1e-3"), CultureInfo.InvariantCulture),
    Steps = Int("--steps", tiny ? 8 : 50),
    Seed = ulong.Parse(Option("--seed") ?? "0", CultureInfo.InvariantCulture),
    Width = size,
    Height = size,
};
var tokens = trainer.CreateTokens(options, [prompt]);
Console.WriteLine($"IPGO on \"{prompt}\" with {reward.Name}: {tokens.ParameterCount:N0} parameters, {options.Epochs} epochs of {options.Steps} {options.Scheduler} steps at {size}×{size}");

// Progress arrives after every generation (one per epoch for one prompt); the checkpoint saves after every epoch.
var training = trainer.Train(
    tokens,
    new ConsoleProgress<IpgoEpochReport>(r => Console.WriteLine(
        $"epoch {r.Epoch,3}/{r.Epochs}: {reward.Name} {r.Reward:F4}, best {r.BestReward:F4}, |∇| {r.GradientNorm:0.000e+0}, lr {r.LearningRate:0.#####}, {r.Elapsed.TotalSeconds:F2} s")),
    checkpoint: t => t.Save(tokensPath));
var history = training.Tokens.History;
Console.WriteLine($"best {history.BestReward:F4} at epoch {history.BestEpoch + 1} (first epoch {history.InitialReward:F4}); trained in {training.Elapsed.TotalSeconds:F2} s, {training.ModelTime / training.Elapsed:P0} in model calls");

// Later, or in another process: the tokens file holds the best tokens and the settings they were learned with.
var learned = IpgoTokens.Load(tokensPath);
foreach (var (name, text) in new[] { ("trained", prompt), ("unseen", unseen) })
{
    var plain = Generate(text, embeddings: null);
    var ipgo = Generate(text, learned.Embed(pipeline.Model.TextEncoder, text)); // c = [P; E; S] with the best epoch's tokens
    var path = Path.Combine(output, name + ".png");
    PngWriter.Write(path, ipgo.ToPixelImages()[0], ipgo.Parameters with { Extra = [.. ipgo.Parameters.Extra, KeyValuePair.Create("IPGO tokens", Path.GetFileName(tokensPath))] });
    Console.WriteLine($"{name} \"{text}\": {reward.Name} {Score(plain, text):F4} without the tokens, {Score(ipgo, text):F4} with them ({ipgo.Elapsed.TotalSeconds:F2} s) → {Path.GetFullPath(path)}");
}

Console.WriteLine($"tokens: {Path.GetFullPath(tokensPath)}");
return 0;

// The request the tokens were trained with (seed, steps, scheduler, guidance, size); Prompt is what the PNG records,
// Embeddings (when given) what the UNet sees.
GenerationResult Generate(string text, PromptEmbeddings? embeddings) => pipeline.Generate(new GenerationRequest
{
    Prompt = text,
    Embeddings = embeddings,
    Seed = learned.Options.Seed,
    Steps = learned.Options.Steps,
    Scheduler = learned.Options.Scheduler,
    GuidanceScale = learned.Options.GuidanceScale,
    Width = learned.Options.Width,
    Height = learned.Options.Height,
});

// The reward of the image clamped to [0, 1], as IPGO's training scores it.
float Score(GenerationResult result, string text)
{
    var images = result.ImagesZeroToOne();
    TensorPrimitives.Clamp(images.Data, 0f, 1f, images.Data);
    return reward.Score(images, text)[0];
}

int Int(string name, int fallback) => Option(name) is { } text ? int.Parse(text, CultureInfo.InvariantCulture) : fallback;

// The value after `name` on the command line, or null when the option is absent.
string? Option(string name) => Options(name) is [.., var last] ? last : null;

// Every value given after `name` (an option that may repeat).
string[] Options(string name) => [.. args.Index().Where(a => a.Item == name && a.Index + 1 < args.Length).Select(a => args[a.Index + 1])];

// Reports on the training thread as they happen (Progress<T> would post them to the thread pool, out of order).
internal sealed class ConsoleProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
