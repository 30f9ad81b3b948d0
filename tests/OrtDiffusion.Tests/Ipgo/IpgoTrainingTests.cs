using System.IO.Compression;
using OrtDiffusion.Ipgo;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;
using OrtDiffusion.Tests.Date;
using OrtDiffusion.Tests.TinyModels;

namespace OrtDiffusion.Tests.Ipgo;

/// <summary>IPGO training on the tiny zoo (aesthetic reward through its VJP graph; LMS, 6 steps, 64×64).</summary>
[Collection(ZooCollection.Name)]
public sealed class IpgoTrainingTests(ZooFixture zoo, Xunit.Abstractions.ITestOutputHelper output)
{
    private const string Prompt = "a photo of a cat";

    private static IpgoOptions Options(int epochs) => IpgoGradientTests.Options("lms", 2) with { Epochs = epochs };

    [Fact]
    public void Training_raises_the_best_reward_and_keeps_the_constraints_after_every_step()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        var trainer = new IpgoTrainer(pipeline, reward);
        var tokens = trainer.CreateTokens(Options(6), [Prompt]);
        var reports = new List<IpgoEpochReport>();
        var result = trainer.Train(tokens, new SynchronousProgress<IpgoEpochReport>(r =>
        {
            reports.Add(r);

            // After every optimiser step: W orthonormal to 1e-5 and the values used within their clamps.
            Assert.True(tokens.Prefix.OrthonormalityError() < 1e-5 && tokens.Suffix.OrthonormalityError() < 1e-5);
            foreach (var module in new[] { tokens.Prefix, tokens.Suffix })
            {
                var forward = module.Forward();
                Assert.All(forward.Coefficients, a => Assert.InRange(a, -1, 1));
                Assert.All(forward.Angles, a => Assert.InRange(a, -MathF.PI, MathF.PI));
            }
        }));

        output.WriteLine("reward curve: " + string.Join(", ", result.Rewards.Select(r => r.ToString("F6"))));
        output.WriteLine($"initial {result.InitialReward:F6}, best {result.BestReward:F6} (epoch {tokens.History.BestEpoch}), {result.Elapsed.TotalSeconds:F2} s, model share {result.ModelTime / result.Elapsed:P0}");
        Assert.Equal(6, reports.Count);
        Assert.All(reports, r => Assert.True(r.EpochComplete && r.GradientNorm > 0));
        Assert.Equal(6, tokens.Optimizer.Steps);
        Assert.True(result.BestReward > result.InitialReward, $"best {result.BestReward} vs initial {result.InitialReward}");
        Assert.NotNull(result.BestImage);
        Assert.Equal([1, 3, 64, 64], result.BestImage!.Shape);
        Assert.Equal(result.Rewards.Max(), result.BestReward);

        // The best tokens reproduce the best reward: generating with them (the plain pipeline, same seed) scores the same.
        var best = pipeline.Generate(new GenerationRequest
        {
            Prompt = Prompt, Steps = 6, Scheduler = "lms", Seed = 3, Width = 64, Height = 64,
            Embeddings = tokens.Embed(pipeline.Model.TextEncoder, Prompt),
        });
        var pixels = best.ImagesZeroToOne(); // clamped, as the trainer clamps before its reward
        Assert.Equal(result.BestReward, reward.Score(pixels, Prompt)[0], 3);
    }

    [Fact]
    public void Resuming_from_a_checkpoint_equals_uninterrupted_training_bit_for_bit()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        using var dir = new TempFolder();
        var trainer = new IpgoTrainer(pipeline, reward);

        var straight = trainer.CreateTokens(Options(4), [Prompt]);
        trainer.Train(straight);

        // Interrupted: the checkpoint after epoch 2 is all that survives; a new process would load it.
        var interrupted = trainer.CreateTokens(Options(4), [Prompt]);
        using var stop = new CancellationTokenSource();
        Assert.ThrowsAny<OperationCanceledException>(() => trainer.Train(interrupted, checkpoint: t =>
        {
            t.Save(dir.File("run.ipgo"));
            if (t.History.EpochsDone == 2)
            {
                stop.Cancel();
            }
        }, cancellationToken: stop.Token));
        var resumed = IpgoTokens.Load(dir.File("run.ipgo"));
        Assert.Equal(2, resumed.History.EpochsDone);
        trainer.Train(resumed);

        Assert.Equal(straight.Prefix.Parameters, resumed.Prefix.Parameters);
        Assert.Equal(straight.Suffix.Parameters, resumed.Suffix.Parameters);
        Assert.Equal(straight.Optimizer.FirstMoment, resumed.Optimizer.FirstMoment);
        Assert.Equal(straight.Optimizer.SecondMoment, resumed.Optimizer.SecondMoment);
        Assert.Equal(straight.Optimizer.Steps, resumed.Optimizer.Steps);
        Assert.Equal(straight.LearningRate.Current, resumed.LearningRate.Current);
        Assert.Equal(straight.History.EpochRewards, resumed.History.EpochRewards);
        Assert.Equal(straight.History.BestPrefix, resumed.History.BestPrefix);

        // Same state, same bytes.
        straight.Save(dir.File("straight.ipgo"));
        resumed.Save(dir.File("resumed.ipgo"));
        Assert.Equal(File.ReadAllBytes(dir.File("straight.ipgo")), File.ReadAllBytes(dir.File("resumed.ipgo")));
    }

    [Fact]
    public void Save_and_load_give_identical_embeddings_and_state()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        using var dir = new TempFolder();
        var trainer = new IpgoTrainer(pipeline, reward);
        var tokens = trainer.CreateTokens(Options(2) with { Rotation = false, DecayEvery = 1, DecayFactor = 0.5 }, [Prompt]);
        trainer.Train(tokens);
        tokens.Save(dir.File("cat.ipgo"));
        var loaded = IpgoTokens.Load(dir.File("cat.ipgo"));

        var encoder = pipeline.Model.TextEncoder;
        foreach (var best in new[] { true, false })
        {
            var a = tokens.Embed(encoder, "a dog on a beach", best: best);
            var b = loaded.Embed(encoder, "a dog on a beach", best: best);
            Assert.Equal(a.Conditional.Data, b.Conditional.Data);
            Assert.Equal(a.Unconditional.Data, b.Unconditional.Data);
        }

        Assert.Equal(tokens.Options, loaded.Options);
        Assert.Equal(tokens.Metadata.Prompts, loaded.Metadata.Prompts);
        Assert.Equal("sd15", loaded.Metadata.BaseModel);
        Assert.Equal(0.25e-3, loaded.LearningRate.Current, 15);
        Assert.Equal(tokens.History.GenerationRewards, loaded.History.GenerationRewards);
        Assert.Equal(tokens.History.BestReward, loaded.History.BestReward);

        // c = [P; E; S] with E the unpadded prompt (BOS, tokens, EOS) and "" padded to the same length for c_u.
        var e = encoder.Encode("a dog on a beach", padded: false).Embedding;
        var embedding = loaded.Embed(encoder, "a dog on a beach");
        Assert.Equal([1, 3 + e.Shape[1] + 3, 32], embedding.Conditional.Shape);
        Assert.Equal(e.Data, embedding.Conditional.Data.AsSpan(3 * 32, e.Length).ToArray());
        Assert.Equal(loaded.PrefixTokens().Data, embedding.Conditional.Data.AsSpan(0, 3 * 32).ToArray());
        Assert.Equal(encoder.EncodeIds(encoder.Tokenizer.Encode(string.Empty, (int)embedding.Conditional.Shape[1]).Ids).Data, embedding.Unconditional.Data);

        // numpy reads it as an .npz: every entry but the manifest is a .npy.
        using var zip = ZipFile.OpenRead(dir.File("cat.ipgo"));
        Assert.Contains(zip.Entries, x => x.FullName == "ipgo.json");
        Assert.Contains(zip.Entries, x => x.FullName == "best/prefix_tokens.npy");
        Assert.All(zip.Entries.Where(x => x.FullName != "ipgo.json"), x => Assert.EndsWith(".npy", x.FullName));
    }

    [Fact]
    public void Damaged_or_foreign_files_are_refused_with_the_file_and_the_part()
    {
        using var dir = new TempFolder();
        File.WriteAllText(dir.File("text.ipgo"), "not a zip");
        Assert.Contains("not a ZIP", Assert.Throws<InvalidDataException>(() => IpgoTokens.Load(dir.File("text.ipgo"))).Message);
        using (var zip = ZipFile.Open(dir.File("empty.ipgo"), ZipArchiveMode.Create))
        {
            zip.CreateEntry("something.txt");
        }

        var e = Assert.Throws<InvalidDataException>(() => IpgoTokens.Load(dir.File("empty.ipgo")));
        Assert.Contains("empty.ipgo", e.Message);
        Assert.Contains("ipgo.json is missing", e.Message);
        Assert.Throws<FileNotFoundException>(() => IpgoTokens.Load(dir.File("absent.ipgo")));

        // A valid file with one array removed names that array.
        var tokens = IpgoTokens.Create(32, IpgoOptions.ForTextWidth(32) with { PrefixLength = 2, SuffixLength = 2 }, new IpgoMetadata { Prompts = ["x"] });
        tokens.Save(dir.File("ok.ipgo"));
        using (var zip = ZipFile.Open(dir.File("ok.ipgo"), ZipArchiveMode.Update))
        {
            zip.GetEntry("suffix/bias.npy")!.Delete();
        }

        Assert.Contains("suffix/bias.npy is missing", Assert.Throws<InvalidDataException>(() => IpgoTokens.Load(dir.File("ok.ipgo"))).Message);
    }

    [Fact]
    public void Too_long_prompts_are_refused_naming_the_prompt_and_its_token_count()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        var trainer = new IpgoTrainer(pipeline, reward);
        var words = string.Join(' ', Enumerable.Repeat("cat", 60));
        var count = pipeline.Model.TextEncoder.Tokenizer.CountTokens(words).TokenCount;
        var e = Assert.Throws<IpgoPromptTooLongException>(() => trainer.CreateTokens(IpgoOptions.ForTextWidth(32), [Prompt, words]));
        Assert.Equal(words, e.Prompt);
        Assert.Equal(count, e.TokenCount);
        Assert.Contains($"has {count} tokens", e.Message);
        Assert.Contains("10 prefix and 10 suffix", e.Message);
        Assert.Contains("77", e.Message);

        // The same prompt fits with fewer learned tokens (62 + 2 + 2 = 66 ≤ 77).
        _ = trainer.CreateTokens(IpgoOptions.ForTextWidth(32) with { PrefixLength = 2, SuffixLength = 2 }, [words]);
    }

    [Fact]
    public void Batch_training_shares_tokens_across_prompts_and_applies_them_to_unseen_prompts()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var reward = TestRewards.Aesthetic(zoo);
        var trainer = new IpgoTrainer(pipeline, reward);
        string[] prompts = ["a photo of a cat", "a red car", "a house on a hill"];
        var options = IpgoGradientTests.Options("lms", 1) with { Epochs = 2, AccumulationSteps = 2, DecayEvery = 3, DecayFactor = 0.5 };
        var tokens = trainer.CreateTokens(options, prompts);
        var reports = new List<IpgoEpochReport>();
        trainer.Train(tokens, new SynchronousProgress<IpgoEpochReport>(reports.Add));

        // Steps after prompts 2 and 3 of each epoch (the last group is short): 4 steps, the rate halved after the 3rd.
        Assert.Equal(4, tokens.Optimizer.Steps);
        Assert.Equal(1e-3 / 2, tokens.LearningRate.Current, 15);
        Assert.Equal([null, 2, 3, null, 2, 3], reports.Select(r => r.GradientNorm is null ? (int?)null : r.Generation));
        Assert.Equal(6, tokens.History.GenerationRewards.Count);
        Assert.Equal(tokens.History.GenerationRewards.Take(3).Average(r => (double)r), tokens.History.EpochRewards[0], 6);

        // Tokens changed within each epoch, so no "best" is claimed; the final tokens apply to a new prompt.
        Assert.True(double.IsNaN(tokens.History.BestReward));
        var unseen = pipeline.Generate(new GenerationRequest
        {
            Prompt = "a dog", Steps = 6, Scheduler = "lms", Seed = 3, Width = 64, Height = 64,
            Embeddings = tokens.Embed(pipeline.Model.TextEncoder, "a dog"),
        });
        Assert.True(unseen.Images.IsFinite());
    }

    [Fact]
    public void Cancellation_stops_before_and_inside_a_generation_without_changing_the_tokens()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var aesthetic = TestRewards.Aesthetic(zoo);
        var tokens = new IpgoTrainer(pipeline, aesthetic).CreateTokens(Options(3), [Prompt]);
        var before = (float[])tokens.Prefix.Parameters.Clone();

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => new IpgoTrainer(pipeline, aesthetic).Train(tokens, cancellationToken: cancelled.Token));

        // Cancelled while the reward runs: the decoder and UNet backward passes that follow are stopped by ONNX Runtime.
        using var midway = new CancellationTokenSource();
        using var cancelling = new CancellingReward(aesthetic, midway);
        Assert.ThrowsAny<OperationCanceledException>(() => new IpgoTrainer(pipeline, cancelling).Train(tokens, cancellationToken: midway.Token));
        Assert.Equal(1, cancelling.Calls);
        Assert.Equal(0, tokens.History.EpochsDone);
        Assert.Equal(0, tokens.Optimizer.Steps);
        Assert.Equal(before, tokens.Prefix.Parameters);
    }

    /// <summary>Scores with the inner reward and cancels the training while doing so.</summary>
    private sealed class CancellingReward(IReward inner, CancellationTokenSource source) : IReward
    {
        public int Calls { get; private set; }

        public string Name => inner.Name;

        public float[] Score(FloatTensor images, string prompt, CancellationToken cancellationToken = default) => inner.Score(images, prompt, cancellationToken);

        public RewardGradient ScoreWithGradient(FloatTensor images, string prompt, ReadOnlySpan<float> weights, CancellationToken cancellationToken = default)
        {
            Calls++;
            var result = inner.ScoreWithGradient(images, prompt, weights, CancellationToken.None);
            source.Cancel();
            return result;
        }

        public void Dispose()
        {
        }
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class SynchronousProgress<T>(Action<T> report) : IProgress<T>
    {
        public void Report(T value) => report(value);
    }
}
