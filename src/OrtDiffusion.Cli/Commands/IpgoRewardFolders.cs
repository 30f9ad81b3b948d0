using System.Globalization;
using System.Text.Json;
using OrtDiffusion.Models;
using OrtDiffusion.Onnx.Autodiff;
using OrtDiffusion.Rewards;
using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;
using OrtDiffusion.Text;

namespace OrtDiffusion.Cli.Commands;

/// <summary>
/// Opens the reward folders of <c>--reward DIR[=weight]…</c> as one <see cref="IReward"/> (a weighted sum when several).
/// </summary>
/// <remarks>
/// Until the library has <c>OrtDiffusion.Rewards.RewardModel.Load(folder, ExecutionOptions)</c>, the CLI reads a folder
/// itself through its <c>reward.json</c> (format_version 1, read with <see cref="JsonDocument"/> so this file depends on
/// no manifest type): the per-image model and its VJP graph, and the prompt's text inputs (token ids from the folder's
/// tokenizer, or <c>text_embeds</c> from its text model). To switch, make <see cref="Open"/> return
/// <c>RewardSpec.Load(specs, options)</c> and <see cref="OpenFolder"/> return <c>RewardModel.Load(folder, options)</c>;
/// the rest of this file can then go.
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

        return new ManifestReward(folder, Manifest.Load(folder), options);
    }

    /// <summary>A reward folder read through its manifest: scores and image gradients from the model's VJP graph.</summary>
    private sealed class ManifestReward : IReward
    {
        private readonly Manifest manifest;
        private readonly InferenceSession forward;
        private readonly InferenceSession vjp;
        private readonly InferenceSession? textModel;
        private readonly ITextTokenizer? tokenizer;
        private readonly Dictionary<string, (float[] Data, long[] Shape)> textEmbeds = new(StringComparer.Ordinal);
        private readonly string folder;

        public ManifestReward(string folder, Manifest manifest, ExecutionOptions options)
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
                    tokenizer = t.Kind == "clip_bpe"
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

            var text = manifest.TextModel!.Value;
            var ids = tokenizer!.Encode(prompt, manifest.Tokenizer!.Value.MaxLength);
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
                        case "text_embeds":
                            var (data, shape) = owner.TextEmbeds(prompt);
                            Values[input.Name] = OrtValue.CreateTensor((float[])data.Clone(), shape);
                            break;
                        case "input_ids":
                        case "attention_mask":
                            var tokens = owner.tokenizer!.Encode(prompt, owner.manifest.Tokenizer!.Value.MaxLength);
                            var row = input.Kind == "input_ids" ? tokens.Ids : tokens.AttentionMask;
                            var batch = Enumerable.Repeat(row, images.BatchSize).SelectMany(r => r).ToArray();
                            Values[input.Name] = session.GetInput(input.Name).ElementType == TensorElementType.Int32
                                ? OrtValue.CreateTensor(batch, [images.BatchSize, row.Length])
                                : OrtValue.CreateTensor(Array.ConvertAll(batch, v => (long)v), [images.BatchSize, row.Length]);
                            break;
                        default:
                            throw new NotSupportedException($"The reward folder '{owner.folder}' has a text input '{input.Name}' of unknown kind '{input.Kind}'.");
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

    /// <summary>The parts of <c>reward.json</c> (format_version 1) this reader uses.</summary>
    private sealed record Manifest(
        string Model, string ImageInput, string Output, List<(string Name, string Kind)> TextInputs,
        (string Model, string InputIds, string? AttentionMask, string Output)? TextModel,
        (string Kind, string Folder, int MaxLength)? Tokenizer)
    {
        public static Manifest Load(string folder)
        {
            var path = Path.Combine(folder, "reward.json");
            if (!File.Exists(path))
            {
                throw new FileNotFoundException($"The reward folder '{folder}' has no reward.json.", path);
            }

            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(path));
                var root = doc.RootElement;
                if (root.GetProperty("format_version").GetInt32() != 1)
                {
                    throw new InvalidDataException($"'{path}' has format_version {root.GetProperty("format_version")}; this reader knows 1.");
                }

                string Text(JsonElement e, string name, string fallback) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;
                var inputs = root.TryGetProperty("text_inputs", out var list)
                    ? list.EnumerateArray().Select(i => (Text(i, "name", ""), Text(i, "kind", ""))).ToList()
                    : [];
                (string, string, string?, string)? textModel = root.TryGetProperty("text_model", out var tm) && tm.ValueKind == JsonValueKind.Object
                    ? (Text(tm, "model", "text_model.onnx"), Text(tm, "input_ids", "input_ids"), tm.TryGetProperty("attention_mask", out var am) && am.ValueKind == JsonValueKind.String ? am.GetString() : null, Text(tm, "output", "text_embeds"))
                    : null;
                (string, string, int)? tokenizer = root.TryGetProperty("tokenizer", out var tk) && tk.ValueKind == JsonValueKind.Object
                    ? (Text(tk, "kind", "clip_bpe"), Text(tk, "folder", "tokenizer"), tk.GetProperty("max_length").GetInt32())
                    : null;
                if ((inputs.Count > 0 || textModel is not null) && tokenizer is null)
                {
                    throw new InvalidDataException($"'{path}' has text inputs but no tokenizer.");
                }

                if (inputs.Any(i => i.Item2 == "text_embeds") && textModel is null)
                {
                    throw new InvalidDataException($"'{path}' has a text_embeds input but no text_model.");
                }

                return new Manifest(Text(root, "model", "model.onnx"), Text(root, "image_input", "images"), Text(root, "output", "score"), inputs, textModel, tokenizer);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"'{path}' is not a valid reward manifest: {e.Message}", e);
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
