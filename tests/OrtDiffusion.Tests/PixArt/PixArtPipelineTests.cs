using OrtDiffusion.Imaging;
using OrtDiffusion.Pipelines;
using OrtDiffusion.PixArt;
using OrtDiffusion.Randomness;
using OrtDiffusion.Tensors;
using OrtDiffusion.Tests.Pipelines;
using OrtDiffusion.Tests.TinyModels;
using OrtDiffusion.Tests.TinyModels.PixArt;
using static OrtDiffusion.Tests.PixArt.PixArtTestHelpers;

namespace OrtDiffusion.Tests.PixArt;

/// <summary>The PixArt-α pipeline end to end on the tiny PixArt folders (64×64 images, 8×8 latents, T5 at 120 tokens).</summary>
[Collection(PixArtZooCollection.Name)]
public sealed class PixArtPipelineTests(PixArtZooFixture zoo)
{
    [Fact]
    public void Same_seed_gives_identical_images_and_another_seed_differs()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        var a = pipeline.Generate(Request(seed: 7));
        var b = pipeline.Generate(Request(seed: 7));
        var c = pipeline.Generate(Request(seed: 8));
        Assert.Equal([1L, 3, 64, 64], a.Images.Shape);
        Assert.Equal([1L, 4, 8, 8], a.Latents.Shape);
        Assert.Equal(a.Images.Data, b.Images.Data);
        Assert.NotEqual(a.Images.Data, c.Images.Data);
        Assert.True(a.Images.IsFinite());
        Assert.Equal(8, a.DenoiserCalls); // one batched CFG call per step
        Assert.Equal([1L, 120, 32], a.Embeddings.Conditional.Shape);
        Assert.Equal([1L, 120], a.Embeddings.ConditionalMask!.Shape);
    }

    [Fact]
    public void Defaults_are_diffusers_pixart_defaults_and_the_scheduler_is_the_folders_dpm_solver()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        var defaults = pipeline.DefaultRequest;
        Assert.Equal(20, defaults.Steps);
        Assert.Equal(4.5f, defaults.GuidanceScale);
        Assert.Equal(64, defaults.Width); // the zoo's sample_size 8 × VAE factor 8
        Assert.Null(defaults.Scheduler);
        var scheduler = pipeline.CreateScheduler(null, 20);
        Assert.Equal(OrtDiffusion.Schedulers.SchedulerKind.DpmSolverMultistep, scheduler.Kind);
        var result = pipeline.Generate(defaults with { Prompt = "a red car" });
        Assert.Equal(20, result.DenoiserCalls);
        Assert.Equal("DPM++ 2M", result.Parameters.Sampler);
    }

    [Fact]
    public void Seeded_noise_is_torch_randn_of_the_latent_shape()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        var noise = new TorchGenerator(123).Randn(1, 4, 8, 8);
        var seeded = pipeline.Generate(Request(seed: 123));
        var given = pipeline.Generate(Request(seed: 999) with { InitialLatents = new FloatTensor(noise, 1, 4, 8, 8) });
        Assert.Equal(seeded.Images.Data, given.Images.Data);
    }

    /// <summary>
    /// diffusers guides all 8 channels, then keeps the first 4 (ε); the library keeps 4 before guiding, in one batched
    /// call. CFG is linear per channel, so both orders agree; the reference here runs the transformer file in its own
    /// session, one branch at a time with each branch's own mask, over all 8 channels.
    /// </summary>
    [Fact]
    public void Batched_guidance_on_the_first_four_channels_equals_guiding_all_eight_then_keeping_four()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        var request = Request() with { NegativePrompt = "blurry, low quality" };
        var batched = pipeline.Generate(request);
        using var reference = new AllChannelsThenGuidance(zoo.Model("transformer"));
        var separate = pipeline.Generate(request, reference);
        Assert.Equal(8, reference.Calls);
        var worst = MaxDifference(batched.Images.Data, separate.Images.Data);
        Assert.True(worst < 1e-4, $"max difference {worst}");
    }

    [Fact]
    public void Each_branch_gets_its_own_mask_and_text_states_beyond_the_mask_do_not_matter()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        var embeddings = pipeline.EncodePrompts("a photo of a cat", "", 1);
        var kept = (int)embeddings.ConditionalMask!.Data.Sum();
        Assert.True(kept > 1, "the prompt has more tokens than EOS");
        Assert.Equal(1f, embeddings.UnconditionalMask!.Data.Sum()); // "" is EOS only
        var reference = pipeline.Generate(Request() with { Embeddings = embeddings });

        // T5 computes states at padding positions too; the transformer's key mask must discard them: rewrite them.
        var padded = embeddings.Clone();
        foreach (var (tensor, mask) in new[] { (padded.Conditional, padded.ConditionalMask!), (padded.Unconditional, padded.UnconditionalMask!) })
        {
            foreach (var p in Positions(mask, 0f))
            {
                for (var d = 0; d < 32; d++)
                {
                    tensor.Data[(p * 32) + d] = 7f * MathF.Sin(p + d);
                }
            }
        }

        Assert.Equal(reference.Images.Data, pipeline.Generate(Request() with { Embeddings = padded }).Images.Data);

        // The unconditional branch uses the negative prompt's mask, not the prompt's (and vice versa).
        var swapped = new PromptEmbeddings(embeddings.Conditional, embeddings.Unconditional, embeddings.ConditionalMask, embeddings.ConditionalMask);
        Assert.True(MaxDifference(reference.Images.Data, pipeline.Generate(Request() with { Embeddings = swapped }).Images.Data) > 1e-4);
        var shortened = new PromptEmbeddings(embeddings.Conditional, embeddings.Unconditional, embeddings.UnconditionalMask, embeddings.UnconditionalMask);
        Assert.True(MaxDifference(reference.Images.Data, pipeline.Generate(Request() with { Embeddings = shortened }).Images.Data) > 1e-4);

        // Without masks every padding state is attended to, which changes the image.
        var unmasked = new PromptEmbeddings(embeddings.Conditional, embeddings.Unconditional);
        Assert.True(MaxDifference(reference.Images.Data, pipeline.Generate(Request() with { Embeddings = unmasked }).Images.Data) > 1e-4);
    }

    [Fact]
    public void A_negative_prompt_of_another_length_changes_the_image_and_guidance_one_ignores_it()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        var empty = pipeline.Generate(Request());
        var longer = pipeline.Generate(Request() with { NegativePrompt = "blurry, low quality, jpeg artifacts, watermark" });
        Assert.True(MaxDifference(empty.Images.Data, longer.Images.Data) > 1e-4);
        Assert.True(longer.Embeddings.UnconditionalMask!.Data.Sum() > 5);

        var a = pipeline.Generate(Request() with { GuidanceScale = 1f });
        var b = pipeline.Generate(Request() with { GuidanceScale = 1f, NegativePrompt = "a dog in the snow" });
        Assert.Equal(a.Images.Data, b.Images.Data);
    }

    [Fact]
    public void Prompts_are_lower_cased_and_trimmed_as_diffusers_does_without_caption_cleaning()
    {
        Assert.Equal("a photo of a cat", PixArtAlphaPipeline.PreparePrompt("  A Photo of a CAT \n"));
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        var plain = pipeline.Generate(Request());
        var shouted = pipeline.Generate(Request() with { Prompt = "  A PHOTO OF A CAT  " });
        Assert.Equal(plain.Images.Data, shouted.Images.Data);
        Assert.Equal("  A PHOTO OF A CAT  ", shouted.Parameters.Prompt); // the PNG keeps what the user wrote
    }

    /// <summary>
    /// diffusers' encode_prompt: tokenizer(padding="max_length", max_length=120) and text_encoder(ids, attention_mask).
    /// The reference tokenizes with T5Tokenizer directly and runs the encoder file in its own session.
    /// </summary>
    [Fact]
    public void Prompts_are_padded_to_120_tokens_and_encoded_with_their_attention_mask()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        var encoding = pipeline.EncodePrompt("A photo of a cat");
        var tokens = OrtDiffusion.Text.T5Tokenizer.FromFolder(zoo.Default).Encode("a photo of a cat", 120);
        Assert.Equal(tokens.Ids, encoding.Tokens.Ids);
        Assert.Equal(120, tokens.Length);
        Assert.Equal(1, tokens.Ids[tokens.TokenCount - 1]); // </s> closes the prompt; <pad> = 0 follows
        Assert.All(tokens.Ids[tokens.TokenCount..], id => Assert.Equal(0, id));
        Assert.Equal(Array.ConvertAll(tokens.AttentionMask, m => (float)m), encoding.AttentionMask().Data);

        using var runner = new ModelRunner(zoo.Model("text_encoder"));
        var expected = runner.Int64("input_ids", tokens.IdsAsInt64(), 1, 120).Int64("attention_mask", tokens.AttentionMaskAsInt64(), 1, 120).Run()["last_hidden_state"].Values;
        Assert.Equal(expected, encoding.Embedding.Data);
        var unmasked = runner.Int64("input_ids", tokens.IdsAsInt64(), 1, 120).Int64("attention_mask", [.. Enumerable.Repeat(1L, 120)], 1, 120).Run()["last_hidden_state"].Values;
        Assert.NotEqual(unmasked, encoding.Embedding.Data);
    }

    [Fact]
    public void A_prompt_longer_than_120_tokens_is_truncated_and_says_so()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        var words = string.Join(" ", Enumerable.Repeat("a photo of a red car", 40));
        var result = pipeline.Generate(Request(steps: 2) with { Prompt = words });
        Assert.True(result.PromptTruncated);
        Assert.Equal(120f, result.Embeddings.ConditionalMask!.Data.Sum());
        Assert.False(pipeline.Generate(Request(steps: 2)).PromptTruncated);
    }

    [Fact]
    public void Supplied_embeddings_with_masks_equal_the_prompt_path_and_batches_repeat_them()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        var fromPrompt = pipeline.Generate(Request() with { NegativePrompt = "blurry" });
        var embeddings = pipeline.EncodePrompts("a photo of a cat", "blurry", 1);
        var fromEmbeddings = pipeline.Generate(Request() with { Prompt = "ignored", Embeddings = embeddings });
        Assert.Equal(fromPrompt.Images.Data, fromEmbeddings.Images.Data);

        var noise = new TorchGenerator(5).Randn(2, 4, 8, 8);
        var batch = pipeline.Generate(Request(seed: 5) with { BatchSize = 2, NegativePrompt = "blurry", Embeddings = embeddings });
        Assert.Equal([2L, 120], batch.Embeddings.UnconditionalMask!.Shape);
        var second = pipeline.Generate(Request() with { NegativePrompt = "blurry", InitialLatents = new FloatTensor(noise[256..], 1, 4, 8, 8) });
        Assert.True(MaxDifference(batch.Images.SliceBatch(1, 1).Data, second.Images.Data) < 1e-4);
    }

    /// <summary>
    /// The 1024-px style takes <c>resolution</c> = [height, width] and <c>aspect_ratio</c> = height / width per sample
    /// (diffusers' micro-conditions). A 64×128 request (no binning: the zoo's sample size 16 has no diffusers table) must
    /// give the transformer [64, 128] and 0.5: the reference feeds those by hand to the transformer file; the swapped
    /// [128, 64] and 2.0 give another ε, so the check can fail.
    /// </summary>
    [Fact]
    public void The_1024_style_transformer_gets_height_width_and_their_ratio()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Conditioned);
        Assert.True(pipeline.Model.Transformer.HasSizeConditioning);
        Assert.Null(pipeline.ResolutionBins);
        using var runner = new ModelRunner(Path.Combine(zoo.Conditioned, "transformer", "model.onnx"));
        var probe = new SizeConditioningProbe(runner);
        var result = pipeline.Generate(Request(steps: 4) with { Width = 128, Height = 64 }, probe);
        Assert.Equal([1L, 3, 64, 128], result.Images.Shape);
        Assert.True(result.Images.IsFinite());
        Assert.True(probe.Checked);
        Assert.True(probe.RightOrderError < 1e-5, $"with [64, 128] and 0.5: max difference {probe.RightOrderError}");
        Assert.True(probe.SwappedOrderError > 1e-4, $"with [128, 64] and 2.0: max difference {probe.SwappedOrderError}");

        using var plain = PixArtAlphaPipeline.Load(zoo.Default);
        Assert.False(plain.Model.Transformer.HasSizeConditioning);
    }

    /// <summary>
    /// Binning end to end with a custom table (the zoo's sample size has no diffusers table): 50×90 has ratio 0.556,
    /// nearest to the "0.5" bucket 64×128, so the latents are 8×16 and the image is resized back to 50×90.
    /// </summary>
    [Fact]
    public void Binning_generates_at_the_nearest_bucket_and_returns_the_requested_size_with_the_bucket_in_the_png()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        pipeline.ResolutionBins = new AspectRatioBins([new("0.5", 64, 128), new("1.0", 64, 64), new("2.0", 128, 64)]);
        var request = Request() with { Width = 90, Height = 50, NegativePrompt = "blurry" };
        Assert.Equal((64, 128), pipeline.GenerationSize(request));
        var result = pipeline.Generate(request);
        Assert.Equal([1L, 4, 8, 16], result.Latents.Shape);
        Assert.Equal([1L, 3, 50, 90], result.Images.Shape);
        var decoded = pipeline.Model.VaeDecoder.Decode(result.Latents);
        Assert.Equal(BinnedImageResize.ResizeAndCrop(decoded, 90, 50).Data, result.Images.Data);

        using var folder = new TempFolder("pixart-png");
        var path = folder.File("binned.png");
        result.SavePng(path);
        var png = PngReader.Read(path);
        Assert.Equal(90, png.Image.Width);
        Assert.Equal(50, png.Image.Height);
        var p = png.Parameters!;
        Assert.Equal("a photo of a cat", p.Prompt);
        Assert.Equal("blurry", p.NegativePrompt);
        Assert.Equal(8, p.Steps);
        Assert.Equal("DPM++ 2M", p.Sampler);
        Assert.Equal(4.5, p.CfgScale);
        Assert.Equal(7UL, p.Seed);
        Assert.Equal(90, p.Width);
        Assert.Equal(50, p.Height);
        Assert.Equal("pixart", p.Model);
        Assert.Equal("128x64", p.GetExtra("Resolution bin"));
        Assert.Equal(result.ToPixelImages()[0].Pixels.ToArray(), png.Image.Pixels.ToArray());

        // Without binning 50×90 is not a size the transformer's patches tile.
        var e = Assert.Throws<ArgumentException>(() => pipeline.Generate(request with { ResolutionBinning = false }));
        Assert.Contains("multiples of 16", e.Message);
        Assert.Null(pipeline.Generate(Request(steps: 2) with { ResolutionBinning = false }).Parameters.GetExtra("Resolution bin"));
    }

    [Fact]
    public void Steps_report_progress_and_callbacks_and_cancellation_stops_the_run()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        var steps = new List<int>();
        var reports = new List<GenerationProgress>();
        pipeline.Generate(
            Request(steps: 6),
            onStep: (in StepSnapshot s) =>
            {
                Assert.True(FloatTensor.AllFinite(s.PredictedOriginal));
                Assert.Equal([1L, 4, 8, 8], s.Shape.ToArray());
                steps.Add(s.StepIndex);
            },
            progress: new SyncProgress<GenerationProgress>(reports.Add));
        Assert.Equal(Enumerable.Range(0, 6), steps);
        Assert.Equal(6, reports.Count);
        Assert.Equal(6, reports[^1].TotalSteps);

        using var source = new CancellationTokenSource();
        var taken = 0;
        Assert.ThrowsAny<OperationCanceledException>(() => pipeline.Generate(
            Request(steps: 10),
            onStep: (in StepSnapshot _) =>
            {
                if (++taken == 3)
                {
                    source.Cancel();
                }
            },
            cancellationToken: source.Token));
        Assert.Equal(3, taken);
    }

    [Fact]
    public void Spinning_worker_threads_give_the_same_images()
    {
        using var sleeping = PixArtAlphaPipeline.Load(zoo.Default);
        using var spinning = PixArtAlphaPipeline.Load(zoo.Default, Models.ExecutionOptions.Default with { AllowSpinning = true });
        Assert.False(sleeping.Model.Options.AllowSpinning);
        Assert.True(spinning.Model.Options.AllowSpinning);
        Assert.Equal(spinning.Generate(Request()).Images.Data, sleeping.Generate(Request()).Images.Data);
    }

    [Fact]
    public void Plain_sampling_steps_allocate_nothing()
    {
        using var pipeline = PixArtAlphaPipeline.Load(zoo.Default);
        var allocated = new List<long>(capacity: 64);
        pipeline.Generate(Request(steps: 12), onStep: (in StepSnapshot _) => allocated.Add(GC.GetAllocatedBytesForCurrentThread()));
        var perStep = allocated.Skip(3).Zip(allocated.Skip(4), (a, b) => b - a).ToList();
        Assert.All(perStep, bytes => Assert.Equal(0, bytes));
    }

    [Fact]
    public void Bad_requests_and_folders_are_named()
    {
        using (var pipeline = PixArtAlphaPipeline.Load(zoo.Default))
        {
            Assert.Contains("image-to-image", Assert.Throws<NotSupportedException>(() => pipeline.Generate(Request() with { InitImage = FloatTensor.Zeros(1, 3, 64, 64) })).Message);
            Assert.Contains("[1, 4, 8, 8]", Assert.Throws<ArgumentException>(() => pipeline.Generate(Request() with { InitialLatents = FloatTensor.Zeros(1, 4, 4, 4) })).Message);
            Assert.Throws<ArgumentOutOfRangeException>(() => pipeline.Generate(Request() with { Steps = 0 }));
            Assert.Contains("DDIM", Assert.Throws<ArgumentException>(() => pipeline.Generate(Request() with { Eta = 0.5f })).Message);
        }

        Assert.Throws<DirectoryNotFoundException>(() => PixArtAlphaPipeline.Load("/nonexistent/pixart"));
        using var broken = new TempFolder("pixart-broken");
        CopyFolder(zoo.Default, broken.Path);
        File.Delete(Path.Combine(broken.Path, "tokenizer", "spiece.model"));
        Assert.Contains("tokenizer/spiece.model", Assert.Throws<FileNotFoundException>(() => PixArtAlphaPipeline.Load(broken.Path)).Message);
        CopyFolder(zoo.Default, broken.Path);
        File.Delete(Path.Combine(broken.Path, "transformer", "model.onnx"));
        Assert.Contains("transformer/model.onnx", Assert.Throws<FileNotFoundException>(() => PixArtAlphaPipeline.Load(broken.Path)).Message);

        // A transformer with other inputs (here the VAE decoder) is refused with its inputs listed.
        CopyFolder(zoo.Default, broken.Path);
        File.Copy(Path.Combine(broken.Path, "vae_decoder", "model.onnx"), Path.Combine(broken.Path, "transformer", "model.onnx"), overwrite: true);
        var names = Assert.Throws<InvalidDataException>(() => PixArtAlphaPipeline.Load(broken.Path));
        Assert.Contains("transformer", names.Message);
        Assert.Contains("latent_sample", names.Message);

        // A text encoder without the attention mask input is refused, naming it.
        CopyFolder(zoo.Default, broken.Path);
        File.Copy(Path.Combine(broken.Path, "vae_decoder", "model.onnx"), Path.Combine(broken.Path, "text_encoder", "model.onnx"), overwrite: true);
        Assert.Contains("input_ids", Assert.Throws<InvalidDataException>(() => PixArtAlphaPipeline.Load(broken.Path)).Message);

        // model_index.json decides: a Stable Diffusion class is sent to StableDiffusionPipeline.
        CopyFolder(zoo.Default, broken.Path);
        File.WriteAllText(Path.Combine(broken.Path, "model_index.json"), "{\"_class_name\": \"OnnxStableDiffusionPipeline\"}");
        Assert.Contains("StableDiffusionPipeline", Assert.Throws<InvalidDataException>(() => PixArtAlphaPipeline.Load(broken.Path)).Message);
        File.Delete(Path.Combine(broken.Path, "model_index.json"));
        Assert.Contains("model_index.json", Assert.Throws<FileNotFoundException>(() => PixArtAlphaPipeline.Load(broken.Path)).Message);
    }

    /// <summary>CFG over all output channels of two separate transformer runs (own session), then the first 4 channels.</summary>
    private sealed class AllChannelsThenGuidance(string transformerPath) : INoisePredictor, IDisposable
    {
        private readonly ModelRunner runner = new(transformerPath);

        public int Calls { get; private set; }

        public void Predict(DenoisingContext context, Span<float> guided)
        {
            var e = context.Embeddings;
            var shape = context.LatentShape;
            var u = RunTransformer(runner, context.ModelInput, shape, context.Timestep, e.Unconditional, e.UnconditionalMask!);
            var c = RunTransformer(runner, context.ModelInput, shape, context.Timestep, e.Conditional, e.ConditionalMask!);
            var all = new float[u.Length];
            for (var i = 0; i < all.Length; i++)
            {
                all[i] = u[i] + (context.GuidanceScale * (c[i] - u[i]));
            }

            var plane = (int)(shape[2] * shape[3]);
            for (var b = 0; b < shape[0]; b++)
            {
                all.AsSpan((int)(b * 8 * plane), 4 * plane).CopyTo(guided.Slice((int)(b * 4 * plane), 4 * plane));
            }

            Calls++;
        }

        public void Dispose() => runner.Dispose();
    }

    /// <summary>At step 0: the wrapper's conditional ε against the transformer file fed [64, 128] / 0.5 and the swapped values.</summary>
    private sealed class SizeConditioningProbe(ModelRunner runner) : INoisePredictor
    {
        public bool Checked { get; private set; }

        public double RightOrderError { get; private set; }

        public double SwappedOrderError { get; private set; }

        public void Predict(DenoisingContext context, Span<float> guided)
        {
            if (context.StepIndex == 0)
            {
                var e = context.Embeddings;
                var noise = new float[context.Latents.Length];
                context.PredictNoise(e.Conditional, noise);
                float[] FirstFour(float[] all) => [.. all.Take(4 * 8 * 16)];
                var right = FirstFour(RunTransformer(runner, context.ModelInput, context.LatentShape, context.Timestep, e.Conditional, e.ConditionalMask!, [64f, 128f], 0.5f));
                var swapped = FirstFour(RunTransformer(runner, context.ModelInput, context.LatentShape, context.Timestep, e.Conditional, e.ConditionalMask!, [128f, 64f], 2f));
                RightOrderError = MaxDifference(noise, right);
                SwappedOrderError = MaxDifference(noise, swapped);
                Checked = true;
            }

            context.PredictGuided(guided);
        }
    }
}
