using OrtDiffusion.Models;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Randomness;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Ipgo;

/// <summary>
/// Learned IPGO prefix and suffix tokens with everything needed to use them or to continue training: the two
/// <see cref="TokenModule"/>s, Adam's state, the learning-rate schedule, the history (reward curve, best tokens),
/// the hyperparameters and what they were learned for. <see cref="Save"/> writes one self-describing file (a ZIP
/// of <c>ipgo.json</c> and <c>.npy</c> arrays, which <c>numpy.load</c> opens as an <c>.npz</c>); <see cref="Load"/>
/// restores it exactly, so training resumed from a file continues bit for bit as if never interrupted.
/// </summary>
/// <example>
/// <code>
/// var tokens = IpgoTokens.Load("cat.ipgo");
/// var request = new GenerationRequest { Prompt = "a cat", Embeddings = tokens.Embed(pipeline.Model.TextEncoder, "a cat"), Seed = tokens.Options.Seed };
/// </code>
/// </example>
public sealed class IpgoTokens
{
    internal IpgoTokens(IpgoOptions options, IpgoMetadata metadata, TokenModule prefix, TokenModule suffix, AdamOptimizer optimizer, StepLearningRate learningRate, IpgoHistory history)
    {
        Options = options;
        Metadata = metadata;
        Prefix = prefix;
        Suffix = suffix;
        Optimizer = optimizer;
        LearningRate = learningRate;
        History = history;
    }

    /// <summary>The hyperparameters (training continues up to <see cref="IpgoOptions.Epochs"/>).</summary>
    public IpgoOptions Options { get; private set; }

    /// <summary>Base model, reward and prompts.</summary>
    public IpgoMetadata Metadata { get; }

    /// <summary>The prefix module.</summary>
    public TokenModule Prefix { get; }

    /// <summary>The suffix module.</summary>
    public TokenModule Suffix { get; }

    /// <summary>Adam's state over [prefix parameters, suffix parameters].</summary>
    public AdamOptimizer Optimizer { get; }

    /// <summary>The step-decayed learning rate.</summary>
    public StepLearningRate LearningRate { get; }

    /// <summary>Rewards so far and the best tokens.</summary>
    public IpgoHistory History { get; }

    /// <summary>D, the text width.</summary>
    public int TextWidth => Prefix.Width;

    /// <summary>Trained values in all (468 376 at the paper's size).</summary>
    public int ParameterCount => Prefix.ParameterCount + Suffix.ParameterCount;

    /// <summary>
    /// New tokens for a text encoder of width <paramref name="textWidth"/>: both modules drawn, prefix first, from a
    /// torch-compatible generator seeded with <see cref="IpgoOptions.EffectiveInitSeed"/> (as the released code draws them).
    /// </summary>
    public static IpgoTokens Create(int textWidth, IpgoOptions options, IpgoMetadata metadata)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(metadata);
        options.Validate(textWidth);
        var generator = new TorchGenerator(options.EffectiveInitSeed);
        var prefix = TokenModule.Create(textWidth, options.BasisSize, options.PrefixLength, options.Rotation, generator);
        var suffix = TokenModule.Create(textWidth, options.BasisSize, options.SuffixLength, options.Rotation, generator);
        return new IpgoTokens(options, metadata, prefix, suffix,
            new AdamOptimizer(prefix.ParameterCount + suffix.ParameterCount, options.Beta1, options.Beta2, options.Epsilon),
            new StepLearningRate(options.LearningRate, options.DecayEvery, options.DecayFactor),
            new IpgoHistory());
    }

    /// <summary>The prefix tokens <c>[L_p, D]</c>: the best ones seen when <paramref name="best"/> and training found some, else the current ones.</summary>
    public FloatTensor PrefixTokens(bool best = true) =>
        best && History.BestPrefix is { } p ? new FloatTensor((float[])p.Clone(), Prefix.Length, TextWidth) : Prefix.Tokens();

    /// <summary>The suffix tokens <c>[L_s, D]</c> (see <see cref="PrefixTokens"/>).</summary>
    public FloatTensor SuffixTokens(bool best = true) =>
        best && History.BestSuffix is { } s ? new FloatTensor((float[])s.Clone(), Suffix.Length, TextWidth) : Suffix.Tokens();

    /// <summary>
    /// The embeddings to generate <paramref name="prompt"/> with these tokens: c = [P; E(prompt); S] and the
    /// unconditional embedding of <paramref name="negativePrompt"/> padded to the same length. Pass them as
    /// <see cref="GenerationRequest.Embeddings"/>.
    /// </summary>
    /// <exception cref="IpgoPromptTooLongException">The prompt and the tokens do not fit in the encoder's sequence.</exception>
    /// <exception cref="ArgumentException">The encoder's width is not the tokens'.</exception>
    public PromptEmbeddings Embed(ClipTextEncoder encoder, string prompt, string negativePrompt = "", bool best = true)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        var e = IpgoText.EncodePrompt(encoder, prompt, Prefix.Length, Suffix.Length);
        if (e.Shape[2] != TextWidth)
        {
            throw new ArgumentException($"The text encoder '{encoder.ModelPath}' is {e.Shape[2]} wide, but these IPGO tokens are {TextWidth} wide (learned on '{Metadata.BaseModel}').", nameof(encoder));
        }

        var c = IpgoText.Concatenate(PrefixTokens(best), e, SuffixTokens(best));
        var u = IpgoText.EncodeUnconditional(encoder, negativePrompt, (int)c.Shape[1]);
        return new PromptEmbeddings(c, u);
    }

    /// <summary>Allows training to continue up to <paramref name="epochs"/> epochs in all.</summary>
    public void ContinueTo(int epochs)
    {
        if (epochs < History.EpochsDone)
        {
            throw new ArgumentOutOfRangeException(nameof(epochs), epochs, $"These tokens have already been trained for {History.EpochsDone} epochs.");
        }

        Options = Options with { Epochs = epochs };
    }

    /// <summary>Writes the tokens, parameters, optimiser state, history and metadata to <paramref name="path"/> atomically.</summary>
    public void Save(string path, CancellationToken cancellationToken = default) => IpgoTokensFile.Write(this, path, cancellationToken);

    /// <summary>Reads a file written by <see cref="Save"/>.</summary>
    /// <exception cref="FileNotFoundException">No such file.</exception>
    /// <exception cref="InvalidDataException">Not an IPGO tokens file, or a damaged one; the message names the file and the part.</exception>
    public static IpgoTokens Load(string path) => IpgoTokensFile.Read(path);
}
