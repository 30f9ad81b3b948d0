using System.Numerics.Tensors;
using OrtDiffusion.Models;
using OrtDiffusion.Onnx.Autodiff;
using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Rewards;

/// <summary>
/// A reward folder (<c>reward.json</c>, <c>model.onnx</c>, and for rewards with a text side a tokenizer and maybe a
/// text model) run through ONNX Runtime. <see cref="Score"/> runs <c>model.onnx</c>; <see cref="ScoreWithGradient"/>
/// runs its VJP model (built once by our differentiator and cached beside it as <c>model.vjp.*.onnx</c>), which
/// returns the scores and the image gradient together. <see cref="Load"/> picks the class by the manifest's kind.
/// </summary>
public abstract class RewardModel : IReward
{
    private readonly RewardFolder folder;
    private readonly ExecutionOptions execution;
    private readonly InferenceSession forward;
    private readonly PromptEncoder prompts;
    private readonly Lock gate = new();
    private InferenceSession? vjp;
    private int forwardRuns;
    private int vjpRuns;

    private protected RewardModel(RewardFolder folder, ExecutionOptions execution)
    {
        this.folder = folder;
        this.execution = execution;
        forward = execution.OpenSession(folder.ModelPath);
        try
        {
            RewardContract.CheckRewardModel(forward, folder.Manifest, folder.Path);
            prompts = new PromptEncoder(folder, forward, execution);
        }
        catch
        {
            forward.Dispose();
            throw;
        }
    }

    /// <summary>The reward folder's name (<c>clip</c>, <c>aesthetic</c>, …).</summary>
    public string Name => folder.Name;

    /// <summary>The reward folder's full path.</summary>
    public string Folder => folder.Path;

    /// <summary>The folder's <c>reward.json</c>.</summary>
    public RewardManifest Manifest => folder.Manifest;

    /// <summary>Which reward this is.</summary>
    public RewardKind Kind => folder.Manifest.Kind;

    /// <summary>How often the text model ran: once per distinct prompt while it stays in the cache.</summary>
    internal int TextModelRuns => prompts.TextModelRuns;

    /// <summary>The prompt's inputs as the reward model receives them (token ids, mask or text features).</summary>
    internal PromptFeatures EncodePrompt(string prompt) => prompts.Encode(prompt, CancellationToken.None);

    /// <summary>How often <c>model.onnx</c> ran.</summary>
    internal int ForwardRuns => Volatile.Read(ref forwardRuns);

    /// <summary>How often the VJP model ran.</summary>
    internal int VjpRuns => Volatile.Read(ref vjpRuns);

    /// <summary>Opens the reward in <paramref name="folder"/>, choosing the class by <c>reward.json</c>'s kind.</summary>
    /// <param name="folder">The reward folder.</param>
    /// <param name="options">Device and session settings; CPU defaults when null.</param>
    /// <exception cref="DirectoryNotFoundException">The folder or its tokenizer folder is missing.</exception>
    /// <exception cref="FileNotFoundException">The manifest or a model file it names is missing.</exception>
    /// <exception cref="InvalidDataException">The manifest is invalid or does not match the models' inputs and outputs.</exception>
    public static RewardModel Load(string folder, ExecutionOptions? options = null)
    {
        var opened = RewardFolder.Open(folder);
        options ??= ExecutionOptions.Default;
        return opened.Manifest.Kind switch
        {
            RewardKind.Clip => new ClipScore(opened, options),
            RewardKind.Aesthetic => new LaionAesthetic(opened, options),
            RewardKind.ImageReward => new ImageReward(opened, options),
            RewardKind.HpsV2 => new HpsV2(opened, options),
            var other => throw new InvalidDataException($"Reward folder '{opened.Path}': kind {other} has no implementation."),
        };
    }

    /// <inheritdoc />
    public float[] Score(FloatTensor images, string prompt, CancellationToken cancellation = default)
    {
        FiniteCheck.CheckImages(images, Name);
        ArgumentNullException.ThrowIfNull(prompt);
        var text = prompts.Encode(prompt, cancellation);
        var scores = new float[images.BatchSize];
        using (var inputs = RewardInputs.Create(Manifest, images, text))
        using (var scoreValue = OrtValue.CreateTensor(scores, [scores.Length]))
        {
            Run(forward, inputs, [Manifest.Output], [scoreValue], cancellation);
        }

        Interlocked.Increment(ref forwardRuns);
        NormaliseScores(scores);
        NonFiniteRewardException.ThrowIfNotFinite(scores, Name, prompt, "score", 1);
        return scores;
    }

    /// <inheritdoc />
    public RewardGradient ScoreWithGradient(FloatTensor images, string prompt, ReadOnlySpan<float> weights = default, CancellationToken cancellation = default)
    {
        FiniteCheck.CheckImages(images, Name);
        ArgumentNullException.ThrowIfNull(prompt);
        var batch = images.BatchSize;
        FiniteCheck.CheckWeights(weights, batch, Name);

        var cotangent = new float[batch];
        if (weights.IsEmpty)
        {
            Array.Fill(cotangent, 1f);
        }
        else
        {
            weights.CopyTo(cotangent);
        }

        if (Manifest.ScoreNormalization is { InGraph: false } n)
        {
            // score = (r − mean) / std, so ∂score/∂r = 1/std scales the cotangent of the raw output.
            TensorPrimitives.Multiply(cotangent, (float)(1 / n.Std), cotangent);
        }

        var session = VjpSession();
        var text = prompts.Encode(prompt, cancellation);
        var scores = new float[batch];
        var gradient = new float[images.Length];
        using (var inputs = RewardInputs.Create(Manifest, images, text))
        using (var scoreValue = OrtValue.CreateTensor(scores, [batch]))
        using (var gradientValue = OrtValue.CreateTensor(gradient, images.Shape))
        {
            inputs.Add(Manifest.Output + VjpBuilder.GradSuffix, OrtValue.CreateTensor(cotangent, [batch]));
            Run(session, inputs, [Manifest.Output, Manifest.ImageInput + VjpBuilder.GradSuffix], [scoreValue, gradientValue], cancellation);
        }

        Interlocked.Increment(ref vjpRuns);
        NormaliseScores(scores);
        NonFiniteRewardException.ThrowIfNotFinite(scores, Name, prompt, "score", 1);
        NonFiniteRewardException.ThrowIfNotFinite(gradient, Name, prompt, "image gradient", images.ItemLength);
        return new RewardGradient(scores, new FloatTensor(gradient, (long[])images.Shape.Clone()));
    }

    /// <summary>Builds (or finds in the cache) the VJP model and opens it now, instead of on the first gradient.</summary>
    public void PrepareGradient() => VjpSession();

    /// <inheritdoc />
    public void Dispose()
    {
        lock (gate)
        {
            vjp?.Dispose();
            vjp = null;
        }

        prompts.Dispose();
        forward.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <inheritdoc />
    public override string ToString() => $"{GetType().Name} '{Name}' ({Folder})";

    /// <summary>Throws unless the manifest has the text side a reward of this kind needs.</summary>
    private protected static RewardFolder Require(RewardFolder folder, bool condition, string needs)
    {
        if (!condition)
        {
            throw new InvalidDataException($"Reward folder '{folder.Path}': a reward of kind '{RewardKinds.Name(folder.Manifest.Kind)}' needs {needs}.");
        }

        return folder;
    }

    private static void Run(InferenceSession session, RewardInputs inputs, ReadOnlySpan<string> outputNames, Span<OrtValue?> outputs, CancellationToken cancellation)
    {
        cancellation.ThrowIfCancellationRequested();
        using var options = new RunOptions();
        using var registration = options.CancelOn(cancellation);
        session.Run(inputs.Names, inputs.Values, outputNames, outputs, options);
    }

    private void NormaliseScores(Span<float> scores)
    {
        if (Manifest.ScoreNormalization is { InGraph: false } n)
        {
            TensorPrimitives.Subtract(scores, (float)n.Mean, scores);
            TensorPrimitives.Multiply(scores, (float)(1 / n.Std), scores);
        }
    }

    private InferenceSession VjpSession()
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(forward.IsDisposed, this);
            if (vjp is null)
            {
                var path = VjpCache.GetOrBuild(folder.ModelPath, Manifest.Output, [Manifest.ImageInput]);
                vjp = execution.OpenSession(path);
            }

            return vjp;
        }
    }
}
