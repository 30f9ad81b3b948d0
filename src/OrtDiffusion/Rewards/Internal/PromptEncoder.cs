using OrtDiffusion.Models;
using OrtDiffusion.Runtime;
using OrtDiffusion.Text;

namespace OrtDiffusion.Rewards;

/// <summary>
/// The text side of a reward: tokenises a prompt, runs the text model when the manifest has one, and caches the
/// result per prompt, so each prompt is encoded once however many images or gradient steps follow.
/// </summary>
internal sealed class PromptEncoder : IDisposable
{
    private const int CacheCapacity = 64;

    private readonly RewardFolder folder;
    private readonly InferenceSession reward;
    private readonly ITextTokenizer? tokenizer;
    private readonly InferenceSession? textModel;
    private readonly Dictionary<string, PromptFeatures> cache = new(StringComparer.Ordinal);
    private readonly Lock gate = new();
    private int textModelRuns;

    public PromptEncoder(RewardFolder folder, InferenceSession reward, ExecutionOptions execution)
    {
        this.folder = folder;
        this.reward = reward;
        var manifest = folder.Manifest;
        if (manifest.Tokenizer is { } spec && folder.TokenizerPath is { } path)
        {
            tokenizer = spec.Kind switch
            {
                RewardTokenizerKind.ClipBpe => ClipTokenizer.FromFolder(path, spec.MaxLength),
                RewardTokenizerKind.BertWordPiece => BertWordPieceTokenizer.FromFolder(path, spec.MaxLength),
                _ => throw new InvalidDataException($"Reward folder '{folder.Path}': tokenizer kind {spec.Kind} is not supported."),
            };
        }

        if (manifest.TextModel is { } text && folder.TextModelPath is { } textPath)
        {
            textModel = execution.OpenSession(textPath);
            try
            {
                RewardContract.CheckTextModel(textModel, text, folder.Path);
            }
            catch
            {
                textModel.Dispose();
                throw;
            }
        }
    }

    /// <summary>How often the text model has run (once per distinct prompt while it stays cached).</summary>
    public int TextModelRuns => Volatile.Read(ref textModelRuns);

    /// <summary>The prompt's inputs for the reward model, from the cache when it was encoded before.</summary>
    public PromptFeatures Encode(string prompt, CancellationToken cancellation)
    {
        if (folder.Manifest.TextInputs.Count == 0)
        {
            return PromptFeatures.None;
        }

        lock (gate)
        {
            if (cache.TryGetValue(prompt, out var cached))
            {
                return cached;
            }
        }

        var features = Compute(prompt, cancellation);
        lock (gate)
        {
            if (cache.Count >= CacheCapacity)
            {
                cache.Clear(); // prompts come in runs; a full cache is simply started again
            }

            cache[prompt] = features;
        }

        return features;
    }

    public void Dispose() => textModel?.Dispose();

    private PromptFeatures Compute(string prompt, CancellationToken cancellation)
    {
        var tokens = tokenizer!.Encode(prompt);
        var inputs = new List<TextFeature>();
        foreach (var input in folder.Manifest.TextInputs)
        {
            var type = reward.GetInput(input.Name).ElementType;
            inputs.Add(input.Kind switch
            {
                RewardTextInputKind.InputIds => Tokens(input.Name, tokens.Ids, type),
                RewardTextInputKind.AttentionMask => Tokens(input.Name, tokens.AttentionMask, type),
                _ => TextEmbeds(input.Name, prompt, tokens, cancellation),
            });
        }

        return new PromptFeatures(inputs);
    }

    private static TextFeature Tokens(string name, int[] values, TensorElementType type) =>
        new(name, type == TensorElementType.Int64 ? Array.ConvertAll(values, v => (long)v) : (int[])values.Clone(), [1, values.Length], RepeatPerImage: true);

    private TextFeature TextEmbeds(string name, string prompt, TokenizedText tokens, CancellationToken cancellation)
    {
        var text = folder.Manifest.TextModel!;
        var session = textModel!;
        var inputs = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        try
        {
            inputs[text.InputIds] = Tokens(text.InputIds, tokens.Ids, session.GetInput(text.InputIds).ElementType).ToOrtValue(1);
            if (text.AttentionMask is { } mask)
            {
                inputs[mask] = Tokens(mask, tokens.AttentionMask, session.GetInput(mask).ElementType).ToOrtValue(1);
            }

            using var outputs = session.Run(inputs, [text.Output], cancellation);
            Interlocked.Increment(ref textModelRuns);
            var value = outputs[0];
            var features = value.ToArray<float>();
            var shape = value.Shape.ToArray();
            if (shape.Length != 2 || shape[0] != 1)
            {
                throw new InvalidDataException($"Reward folder '{folder.Path}': text model output '{text.Output}' has shape [{string.Join(", ", shape)}] for one prompt; expected [1, features].");
            }

            NonFiniteRewardException.ThrowIfNotFinite(features, folder.Name, prompt, "text feature", 0);
            return new TextFeature(name, features, shape, RepeatPerImage: false);
        }
        finally
        {
            foreach (var v in inputs.Values)
            {
                v.Dispose();
            }
        }
    }
}
