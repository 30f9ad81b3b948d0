using OrtDiffusion.Imaging;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Randomness;
using OrtDiffusion.Tensors;
using OrtDiffusion.Tests.TinyModels;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.Pipelines;

/// <summary>The SD v1.5 pipeline end to end on the tiny zoo (64×64 images, 8×8 latents).</summary>
[Collection(ZooCollection.Name)]
public sealed class StableDiffusionPipelineTests(ZooFixture zoo)
{
    private static GenerationRequest Request(ulong seed = 7, int steps = 8) => new()
    {
        Prompt = "a photo of a cat",
        Steps = steps,
        Seed = seed,
        Width = 64,
        Height = 64,
        Scheduler = "ddim",
    };

    [Fact]
    public void Same_seed_gives_identical_images_and_another_seed_differs()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var a = pipeline.Generate(Request(seed: 7));
        var b = pipeline.Generate(Request(seed: 7));
        var c = pipeline.Generate(Request(seed: 8));
        Assert.Equal([1L, 3, 64, 64], a.Images.Shape);
        Assert.Equal(a.Images.Data, b.Images.Data);
        Assert.NotEqual(a.Images.Data, c.Images.Data);
        Assert.True(a.Images.IsFinite());
        Assert.Equal(8, a.UnetCalls);
    }

    [Fact]
    public void Seeded_noise_is_torch_randn_scaled_by_the_initial_sigma()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var noise = new TorchGenerator(123).Randn(1, 4, 8, 8);
        var seeded = pipeline.Generate(Request(seed: 123) with { Scheduler = "euler" });
        var given = pipeline.Generate(Request(seed: 999) with { Scheduler = "euler", InitialLatents = new FloatTensor(noise, 1, 4, 8, 8) });
        Assert.Equal(seeded.Images.Data, given.Images.Data);
    }

    [Fact]
    public void Batched_guidance_equals_separate_branches_combined_by_the_formula()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var request = Request() with { GuidanceScale = 5f, NegativePrompt = "blurry" };
        var batched = pipeline.Generate(request);
        var separate = pipeline.Generate(request, new SeparateBranches());
        var worst = batched.Images.Data.Zip(separate.Images.Data, (x, y) => Math.Abs(x - y)).Max();
        Assert.True(worst < 1e-4, $"max difference {worst}");
    }

    [Fact]
    public void Guidance_one_runs_only_the_conditional_branch()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var a = pipeline.Generate(Request() with { GuidanceScale = 1f, NegativePrompt = "" });
        var b = pipeline.Generate(Request() with { GuidanceScale = 1f, NegativePrompt = "a dog in the snow" });
        Assert.Equal(a.Images.Data, b.Images.Data);
        var guided = pipeline.Generate(Request() with { GuidanceScale = 7.5f, NegativePrompt = "a dog in the snow" });
        Assert.NotEqual(a.Images.Data, guided.Images.Data);
    }

    [Fact]
    public void Supplied_embeddings_equal_the_prompt_path()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var fromPrompt = pipeline.Generate(Request());
        var embeddings = pipeline.EncodePrompts("a photo of a cat", string.Empty, 1);
        var fromEmbeddings = pipeline.Generate(Request() with { Prompt = "ignored", Embeddings = embeddings });
        Assert.Equal(fromPrompt.Images.Data, fromEmbeddings.Images.Data);
    }

    [Theory]
    [InlineData("ddim")]
    [InlineData("pndm")]
    [InlineData("lms")]
    [InlineData("euler")]
    [InlineData("dpm++")]
    public void Every_scheduler_samples_finite_images_and_reports_each_step(string scheduler)
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var steps = new List<int>();
        var reports = new List<GenerationProgress>();
        var result = pipeline.Generate(
            Request(steps: 6) with { Scheduler = scheduler },
            onStep: (in StepSnapshot s) =>
            {
                Assert.True(FloatTensor.AllFinite(s.PredictedOriginal));
                steps.Add(s.StepIndex);
            },
            progress: new SyncProgress<GenerationProgress>(reports.Add));
        Assert.True(result.Images.IsFinite());
        Assert.Equal(Enumerable.Range(0, steps.Count), steps);
        Assert.Equal(steps.Count, reports.Count);
        Assert.Equal(reports.Count, reports[^1].Step);
    }

    [Fact]
    public void The_timestep_flavours_give_the_same_images()
    {
        using var folder = new TempFolder("flavours");
        var images = new List<float[]>();
        foreach (var kind in Enum.GetValues<UNetTimestepKind>())
        {
            var path = TinyZoo.WriteStableDiffusion(Path.Combine(folder.Path, kind.ToString()), TinyZooOptions.Default with { Timestep = kind });
            using var pipeline = StableDiffusionPipeline.Load(path);
            images.Add(pipeline.Generate(Request()).Images.Data);
        }

        Assert.All(images, i => Assert.Equal(images[0], i));
    }

    [Fact]
    public void Float16_models_run_and_stay_close_to_float32()
    {
        using var folder = new TempFolder("fp16");
        var path = TinyZoo.WriteStableDiffusion(folder.Path, TinyZooOptions.Default with { Float16 = true });
        using var half = StableDiffusionPipeline.Load(path);
        using var full = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var a = half.Generate(Request());
        var b = full.Generate(Request());
        var rms = Math.Sqrt(a.Images.Data.Zip(b.Images.Data, (x, y) => (x - y) * (double)(x - y)).Average());
        Assert.True(rms < 0.02, $"fp16 vs fp32 RMS difference {rms}");
    }

    [Fact]
    public void Image_to_image_at_strength_zero_returns_the_encoded_decoded_input()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var source = pipeline.Generate(Request());
        var encoded = pipeline.Model.VaeEncoder!.Encode(source.Images);
        var roundTrip = pipeline.Model.VaeDecoder.Decode(encoded);
        var edited = pipeline.Generate(Request() with { InitImage = source.Images, Strength = 0f });
        Assert.Equal(roundTrip.Data, edited.Images.Data);
        Assert.Equal(0, edited.UnetCalls);
    }

    [Fact]
    public void Image_to_image_runs_the_strength_share_of_the_schedule()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var source = pipeline.Generate(Request(steps: 10));
        var edited = pipeline.Generate(Request(steps: 10) with { InitImage = source.Images, Strength = 0.5f, Prompt = "a painting of a cat" });
        Assert.Equal(5, edited.UnetCalls);
        Assert.NotEqual(source.Images.Data, edited.Images.Data);
        Assert.True(edited.Images.IsFinite());
    }

    [Fact]
    public void A_batch_of_two_draws_one_noise_tensor_for_both()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var noise = new TorchGenerator(5).Randn(2, 4, 8, 8);
        var batch = pipeline.Generate(Request(seed: 5) with { BatchSize = 2 });
        Assert.Equal([2L, 3, 64, 64], batch.Images.Shape);
        var second = pipeline.Generate(Request() with { InitialLatents = new FloatTensor(noise[256..], 1, 4, 8, 8) });
        var fromBatch = batch.Images.SliceBatch(1, 1).Data;
        Assert.True(fromBatch.Zip(second.Images.Data, (x, y) => Math.Abs(x - y)).Max() < 1e-4);
    }

    [Fact]
    public void Plain_sampling_steps_allocate_nothing()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var allocated = new List<long>(capacity: 64); // pre-sized: growing it would be the only allocation
        pipeline.Generate(Request(steps: 12), onStep: (in StepSnapshot _) => allocated.Add(GC.GetAllocatedBytesForCurrentThread()));
        var perStep = allocated.Skip(3).Zip(allocated.Skip(4), (a, b) => b - a).ToList();
        Assert.All(perStep, bytes => Assert.Equal(0, bytes));
    }

    [Fact]
    public void Cancellation_stops_the_run_with_no_result()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var source = new CancellationTokenSource();
        var steps = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Generate(
            Request(steps: 10),
            onStep: (in StepSnapshot _) =>
            {
                if (++steps == 3)
                {
                    source.Cancel();
                }
            },
            cancellationToken: source.Token));
        Assert.Equal(3, steps);
    }

    [Fact]
    public void Png_carries_the_generation_parameters()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        using var folder = new TempFolder();
        var result = pipeline.Generate(Request() with { NegativePrompt = "blurry", GuidanceScale = 6f });
        var path = folder.File("cat.png");
        result.SavePng(path);
        var png = PngReader.Read(path);
        Assert.Equal(64, png.Image.Width);
        var p = png.Parameters!;
        Assert.Equal("a photo of a cat", p.Prompt);
        Assert.Equal("blurry", p.NegativePrompt);
        Assert.Equal(8, p.Steps);
        Assert.Equal("DDIM", p.Sampler);
        Assert.Equal(6.0, p.CfgScale);
        Assert.Equal(7UL, p.Seed);
        Assert.Equal(64, p.Width);
        Assert.Equal(result.ToPixelImages()[0].Pixels.ToArray(), png.Image.Pixels.ToArray());
    }

    [Fact]
    public void Bad_requests_and_folders_are_named()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        Assert.Contains("multiples of 8", Assert.Throws<ArgumentException>(() => pipeline.Generate(Request() with { Width = 60 })).Message);
        Assert.Contains("[1, 4, 8, 8]", Assert.Throws<ArgumentException>(() => pipeline.Generate(Request() with { InitialLatents = FloatTensor.Zeros(1, 4, 4, 4) })).Message);
        Assert.Contains("DDIM", Assert.Throws<ArgumentException>(() => pipeline.Generate(Request() with { Scheduler = "euler", Eta = 0.5f })).Message);
        Assert.Contains("Unknown scheduler", Assert.Throws<ArgumentException>(() => pipeline.Generate(Request() with { Scheduler = "heun" })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => pipeline.Generate(Request() with { Steps = 0 }));

        Assert.Throws<DirectoryNotFoundException>(() => StableDiffusionPipeline.Load("/nonexistent/sd"));
        using var broken = new TempFolder("broken");
        CopyFolder(zoo.StableDiffusion, broken.Path);
        File.Delete(Path.Combine(broken.Path, "unet", "model.onnx"));
        var missing = Assert.Throws<FileNotFoundException>(() => StableDiffusionPipeline.Load(broken.Path));
        Assert.Contains("unet/model.onnx", missing.Message);

        File.WriteAllText(Path.Combine(broken.Path, "model_index.json"), "{\"_class_name\": \"PixArtAlphaPipeline\"}");
        Assert.Contains("PixArtAlphaPipeline", Assert.Throws<InvalidDataException>(() => StableDiffusionPipeline.Load(broken.Path)).Message);
    }

    [Fact]
    public void A_unet_with_other_input_names_is_refused_with_its_inputs_listed()
    {
        using var broken = new TempFolder("names");
        CopyFolder(zoo.StableDiffusion, broken.Path);
        File.Copy(Path.Combine(broken.Path, "vae_decoder", "model.onnx"), Path.Combine(broken.Path, "unet", "model.onnx"), overwrite: true);
        var e = Assert.Throws<InvalidDataException>(() => StableDiffusionPipeline.Load(broken.Path));
        Assert.Contains("unet", e.Message);
        Assert.Contains("latent_sample", e.Message);
    }

    private static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    /// <summary>CFG with the two branches as separate UNet calls, combined in C#.</summary>
    private sealed class SeparateBranches : INoisePredictor
    {
        public void Predict(DenoisingContext context, Span<float> guided)
        {
            var uncond = new float[guided.Length];
            var cond = new float[guided.Length];
            context.PredictNoise(context.Embeddings.Unconditional, uncond);
            context.PredictNoise(context.Embeddings.Conditional, cond);
            for (var i = 0; i < guided.Length; i++)
            {
                guided[i] = uncond[i] + (context.GuidanceScale * (cond[i] - uncond[i]));
            }
        }
    }
}

/// <summary>An IProgress that reports synchronously (Progress&lt;T&gt; posts to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
