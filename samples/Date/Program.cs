// DATE (Diffusion Adaptive Text Embedding): while sampling, move the prompt's embedding along the normalised
// gradient of a reward of the predicted clean image, and compare with the fixed embedding.
//
//   dotnet run --project samples/Date -- [--model DIR] [--reward DIR] [--prompt TEXT] [--steps N] [--every K]
//       [--rho R] [--seed S] [--size PX] [--out DIR]
//
// --model is a Stable Diffusion v1.5 ONNX folder, --reward a reward folder (model.onnx + reward.json, as
// onnx-export/ writes them). Either one left out comes from the tiny model zoo (its CLIP-score reward), written
// into the OrtDiffusion cache; the zoo's model generates at 64×64.
using System.Globalization;
using OrtDiffusion.Date;
using OrtDiffusion.Imaging;
using OrtDiffusion.IO;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels;

var zoo = CacheFolders.Get($"tinyzoo-v{TinyZoo.Version}");
var model = Option("--model");
var tiny = model is null;
model ??= TinyZoo.WriteStableDiffusion(Path.Combine(zoo, "sd15"));
var rewardFolder = Option("--reward") ?? TinyZoo.WriteReward(Path.Combine(zoo, "rewards", TinyZoo.RewardFolderName(RewardKind.Clip)), RewardKind.Clip);
var size = int.Parse(Option("--size") ?? (tiny ? "64" : "512"), CultureInfo.InvariantCulture);
var output = Option("--out") ?? "date-sample";

var request = new GenerationRequest
{
    Prompt = Option("--prompt") ?? "a photo of a cat on a mountain at sunset",
    Steps = int.Parse(Option("--steps") ?? "50", CultureInfo.InvariantCulture),
    Scheduler = "ddim",
    Seed = ulong.Parse(Option("--seed") ?? "0", CultureInfo.InvariantCulture),
    Width = size,
    Height = size,
};

// The paper's README example: ρ = 0.5, an update at every 10th step. ScoreAfterUpdate adds one decoder and reward
// call per update so the trace shows what each update gained.
var options = new DateOptions
{
    Rho = float.Parse(Option("--rho") ?? "0.5", CultureInfo.InvariantCulture),
    Schedule = DateSchedule.Every(int.Parse(Option("--every") ?? "10", CultureInfo.InvariantCulture)),
    ScoreAfterUpdate = true,
};

using var pipeline = StableDiffusionPipeline.Load(model);
using var reward = RewardModel.Load(rewardFolder);

var fixedResult = pipeline.Generate(request);
var date = new DateNoisePredictor(reward, pipeline.Model.VaeDecoder, request.Prompt, options);
var dateResult = pipeline.Generate(request, date);

Directory.CreateDirectory(output);
fixedResult.SavePng(Path.Combine(output, "fixed.png"));
var dateParameters = dateResult.Parameters with
{
    Extra = [.. dateResult.Parameters.Extra, KeyValuePair.Create("DATE rho", Text(options.Rho)), KeyValuePair.Create("DATE schedule", options.Schedule.Description)],
};
PngWriter.Write(Path.Combine(output, "date.png"), dateResult.ToPixelImages()[0], dateParameters);

var summary = DateRunSummary.From(date.Trace, dateResult.Elapsed);
summary.WriteTrace(Path.Combine(output, "date-trace.json"), options, date.Trace, reward.Name);

foreach (var step in date.Trace.Where(s => s.Scheduled))
{
    var note = step.SkipReason is null ? "" : $" (skipped: {step.SkipReason})";
    Console.WriteLine($"step {step.Index,3}, t = {step.Timestep,4}: {reward.Name}(x̄₀) {step.RewardBefore![0]:F4} → {step.RewardAfter![0]:F4}, |∇c h| = {step.GradientNorm![0]:0.000e+0}{note}");
}

Console.WriteLine($"DATE ({options.Schedule.Description}, ρ = {Text(options.Rho)}): {summary.UpdateSteps} update steps, {summary.SkippedUpdates} skipped, mean gain per update {summary.MeanRewardGainPerUpdate:+0.0000;-0.0000}");
Console.WriteLine($"final {reward.Name}: fixed {Score(fixedResult):F4}, DATE {Score(dateResult):F4}");
Console.WriteLine($"time: fixed {fixedResult.Elapsed.TotalSeconds:F2} s, DATE {dateResult.Elapsed.TotalSeconds:F2} s; PNGs and date-trace.json in {Path.GetFullPath(output)}");
return 0;

float Score(GenerationResult result) => reward.Score(result.ImagesZeroToOne(), request.Prompt)[0];

static string Text(float value) => value.ToString(CultureInfo.InvariantCulture);

// The value after `name` on the command line, or null when the option is absent.
string? Option(string name)
{
    var i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
