using System.Globalization;
using OrtDiffusion.Models;
using OrtDiffusion.Onnx.Autodiff;
using OrtDiffusion.Rewards;
using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;
using OrtDiffusion.Text;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Cli.Commands;

/// <summary>
/// Opens the reward folders of <c>--reward DIR[=weight]…</c> as one <see cref="IReward"/> (a weighted sum when several).
/// </summary>
/// <remarks>
/// Until the library has <c>OrtDiffusion.Rewards.RewardModel.Load(folder, ExecutionOptions)</c>, the CLI reads a folder
/// itself through its <c>reward.json</c> (<see cref="RewardManifest"/>): the per-image model and its VJP graph, and the
/// prompt's text inputs (token ids from the folder's tokenizer, or <c>text_embeds</c> from its text model). To switch,
/// replace <see cref="OpenFolder"/>'s body with <c>RewardModel.Load(folder, options)</c> and <see cref="WeightedReward"/>
/// with the library's weighted sum; nothing else here changes.
/// </remarks>
internal static class IpgoRewardFolders
{
    /// <summary>Opens every <c>DIR[=weight]</c> and joins them.</summary>
    public static IReward Open(IReadOnlyList<string> specs, ExecutionOptions options)
    {
        if (specs.Count == 0)
        {
            throw new ArgumentException("Give at least one --reward DIR[=weight].");
        }

        var parts = new List<(IReward Reward, float Weight)>();
        try
        {
            foreach (var spec in specs)
            {
                var (folder, weight) = Parse(spec);
                parts.Add((OpenFolder(folder, options), weight));
            }
        }
        catch
        {
            foreach (var (reward, _) in parts)
            {
                reward.Dispose();
            }

            throw;
        }

        return parts.Count == 1 && parts[0].Weight == 1f ? parts[0].Reward : new WeightedReward(parts);
    }

    /// <summary>Splits <c>DIR=weight</c> (the weight defaults to 1; a folder name may itself contain '=' only when a weight follows).</summary>
    public static (string Folder, float Weight) Parse(string spec)
    {
        ArgumentException.ThrowIfNullOrEmpty(spec);
        var at = spec.LastIndexOf('=');
        if (at > 0 && float.TryParse(spec[(at + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
        {
            if (!float.IsFinite(weight))
            {
                throw new ArgumentException($"--reward {spec}: the weight must be a finite number.");
            }

            return (spec[..at], weight);
        }

        return (spec, 1f);
    }

    /// <summary>One reward folder.</summary>
    public static IReward OpenFolder(string folder, ExecutionOptions options)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The reward folder '{folder}' does not exist.");
        }

        return new ManifestReward(folder, RewardManifest.Load(folder), options);
    }

    /// <summary>A reward folder read through its manifest: scores and image gradients from the model's VJP graph.</summary>
    private sealed class ManifestReward : IReward
    {
        private readonly RewardManifest manifest;
        private readonly InferenceSession forward;
        private readonly InferenceSession vjp;
        private readonly InferenceSession? textModel;
        private readonly ITextTokenizer? tokenizer;
        private readonly Dictionary<string, (float[] Data, long[] Shape)> textEmbeds = new(StringComparer.Ordinal);
        private readonly string folder;

        public ManifestReward(string folder, RewardManifest manifest, ExecutionOptions options)
        {
            this.folder = folder;
            this.manifest = manifest;
            var modelPath = Path.Combine(folder, manifest.Model);
            if (!File.Exists(modelPath))
            {
                throw new FileNotFoundException($"The reward folder '{folder}' has no {manifest.Model} (named in reward.json).", modelPath);
            }

            Name = Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
            forward = options.OpenSession(modelPath);
            try
            {
                vjp = options.OpenSession(VjpCache.GetOrBuild(modelPath, manifest.Output, [manifest.ImageInput]));
                if (manifest.Tokenizer is { } t)
                {
                    var tokenizerFolder = Path.Combine(folder, t.Folder);
                    tokenizer = t.Kind == RewardTokenizerKind.ClipBpe
                        ? ClipTokenizer.FromFolder(tokenizerFolder, t.MaxLength)
                        : BertWordPieceTokenizer.FromFolder(tokenizerFolder, t.MaxLength);
                }

                if (manifest.TextModel is { } text)
                {
                    textModel = options.OpenSession(Path.Combine(folder, text.Model));
                }
            }
            catch
            {
                forward.Dispose();
                vjp?.Dispose();
                throw;
            }
        }

        public string Name { get; }

        public float[] Score(FloatTensor images, string prompt, CancellationToken cancellationToken = default)
        {
            using var feeds = new Feeds(this, images, prompt);
            using var outputs = forward.Run(feeds.Values, [manifest.Output], cancellationToken);
            return outputs[0].ToArray<float>();
        }

        public RewardGradient ScoreWithGradient(FloatTensor images, string prompt, ReadOnlySpan<float> weights, CancellationToken cancellationToken = default)
        {
            if (weights.Length != images.BatchSize)
            {
                throw new ArgumentException($"The reward '{Name}' needs one weight per image ({images.BatchSize}); got {weights.Length}.", nameof(weights));
            }

            using var feeds = new Feeds(this, images, prompt);
            using var cotangent = OrtValue.CreateTensor(weights.ToArray(), [weights.Length]);
            feeds.Values[manifest.Output + VjpBuilder.GradSuffix] = cotangent;
            using var outputs = vjp.Run(feeds.Values, [manifest.Output, manifest.ImageInput + VjpBuilder.GradSuffix], cancellationToken);
            return new RewardGradient(outputs[0].ToArray<float>(), new FloatTensor(outputs[1].ToArray<float>(), images.Shape));
        }

        public void Dispose()
        {
            forward.Dispose();
            vjp.Dispose();
            textModel?.Dispose();
        }

        // text_embeds from the folder's text model, once per prompt.
        private (float[] Data, long[] Shape) TextEmbeds(string prompt)
        {
            if (textEmbeds.TryGetValue(prompt, out var cached))
            {
                return cached;
            }

            var text = manifest.TextModel!;
            var ids = tokenizer!.Encode(prompt, manifest.Tokenizer!.MaxLength);
            var feeds = new Dictionary<string, OrtValue>(StringComparer.Ordinal) { [text.InputIds] = Ids(textModel!, text.InputIds, ids.Ids) };
            try
            {
                if (text.AttentionMask is { } mask)
                {
                    feeds[mask] = Ids(textModel!, mask, ids.AttentionMask);
                }

                using var outputs = textModel!.Run(feeds, [text.Output]);
                cached = (outputs[0].ToArray<float>(), outputs[0].Shape.ToArray());
                textEmbeds[prompt] = cached;
                return cached;
            }
            finally
            {
                foreach (var v in feeds.Values)
                {
                    v.Dispose();
                }
            }
        }

        private static OrtValue Ids(InferenceSession session, string name, int[] values) =>
            session.GetInput(name).ElementType == TensorElementType.Int32
                ? OrtValue.CreateTensor((int[])values.Clone(), [1, values.Length])
                : OrtValue.CreateTensor(Array.ConvertAll(values, v => (long)v), [1, values.Length]);

        /// <summary>The image and the prompt-derived inputs of one call.</summary>
        private sealed class Feeds : IDisposable
        {
            public Feeds(ManifestReward owner, FloatTensor images, string prompt)
            {
                Values[owner.manifest.ImageInput] = OrtValue.CreateTensor(images.Data, images.Shape);
                var session = owner.forward;
                foreach (var input in owner.manifest.TextInputs)
                {
                    switch (input.Kind)
                    {
                        case RewardTextInputKind.TextEmbeds:
                            var (data, shape) = owner.TextEmbeds(prompt);
                            Values[input.Name] = OrtValue.CreateTensor((float[])data.Clone(), shape);
                            break;
                        case RewardTextInputKind.InputIds:
                        case RewardTextInputKind.AttentionMask:
                            var tokens = owner.tokenizer!.Encode(prompt, owner.manifest.Tokenizer!.MaxLength);
                            var row = input.Kind == RewardTextInputKind.InputIds ? tokens.Ids : tokens.AttentionMask;
                            var batch = Enumerable.Repeat(row, images.BatchSize).SelectMany(r => r).ToArray();
                            Values[input.Name] = session.GetInput(input.Name).ElementType == TensorElementType.Int32
                                ? OrtValue.CreateTensor(batch, [images.BatchSize, row.Length])
                                : OrtValue.CreateTensor(Array.ConvertAll(batch, v => (long)v), [images.BatchSize, row.Length]);
                            break;
                        default:
                            throw new NotSupportedException($"The reward folder '{owner.folder}' has a text input '{input.Name}' of an unknown kind.");
                    }
                }
            }

            public Dictionary<string, OrtValue> Values { get; } = new(StringComparer.Ordinal);

            public void Dispose()
            {
                foreach (var v in Values.Values)
                {
                    v.Dispose();
                }
            }
        }
    }

    /// <summary>Σ w_i · r_i, with the gradient Σ w_i · ∇r_i.</summary>
    private sealed class WeightedReward(List<(IReward Reward, float Weight)> parts) : IReward
    {
        public string Name { get; } = string.Join("+", parts.Select(p => $"{p.Reward.Name}={p.Weight.ToString(CultureInfo.InvariantCulture)}"));

        public float[] Score(FloatTensor images, string prompt, CancellationToken cancellationToken = default)
        {
            var total = new float[images.BatchSize];
            foreach (var (reward, weight) in parts)
            {
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(reward.Score(images, prompt, cancellationToken), weight, total, total);
            }

            return total;
        }

        public RewardGradient ScoreWithGradient(FloatTensor images, string prompt, ReadOnlySpan<float> weights, CancellationToken cancellationToken = default)
        {
            var total = new float[images.BatchSize];
            var gradient = FloatTensor.Zeros(images.Shape);
            var scaled = new float[weights.Length];
            foreach (var (reward, weight) in parts)
            {
                System.Numerics.Tensors.TensorPrimitives.Multiply(weights, weight, scaled);
                var part = reward.ScoreWithGradient(images, prompt, scaled, cancellationToken);
                System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(part.Scores, weight, total, total);
                System.Numerics.Tensors.TensorPrimitives.Add(gradient.Data, part.ImageGradient.Data, gradient.Data);
            }

            return new RewardGradient(total, gradient);
        }

        public void Dispose()
        {
            foreach (var (reward, _) in parts)
            {
                reward.Dispose();
            }
        }
    }
}
