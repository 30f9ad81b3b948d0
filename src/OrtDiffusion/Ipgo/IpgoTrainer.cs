using System.Diagnostics;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Ipgo;

/// <summary>
/// IPGO (Indirect Prompt Gradient Optimization) training on a Stable Diffusion model: learns prefix and suffix
/// tokens around the text encoder's output by back-propagating a reward through the last sampling steps.
/// </summary>
/// <remarks>
/// <para>
/// Each epoch generates every training prompt from the same initial noise with c = [P; E; S]; the loss
/// −reward + λ·penalty (divided by <see cref="IpgoOptions.AccumulationSteps"/>) is back-propagated through the last
/// <see cref="IpgoOptions.Truncate"/> steps, the decoder and the reward into the tokens and the modules' parameters;
/// every <see cref="IpgoOptions.AccumulationSteps"/> prompts (and at the end of each epoch) the summed gradient is
/// clipped to <see cref="IpgoOptions.MaxGradientNorm"/>, Adam steps, and the learning rate decays on schedule.
/// One prompt with accumulation 1 is the paper's single-prompt training; a prompt set with accumulation 4 is its
/// batch training, whose shared tokens apply to unseen prompts.
/// </para>
/// <para>
/// The best tokens (and, for one prompt, the image) are kept from the epoch with the highest reward among epochs
/// whose tokens did not change midway (always so for one prompt). Training is deterministic: a run resumed from a
/// checkpoint written after an epoch continues exactly as an uninterrupted run. After cancellation the tokens object
/// may hold a partial epoch: resume from the last checkpoint, not from it.
/// </para>
/// </remarks>
public sealed class IpgoTrainer
{
    private readonly StableDiffusionPipeline pipeline;
    private readonly IReward reward;
    private int textWidth;

    /// <summary>Trains with <paramref name="pipeline"/>'s model against <paramref name="reward"/> (the caller keeps ownership of both).</summary>
    public IpgoTrainer(StableDiffusionPipeline pipeline, IReward reward)
    {
        this.pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        this.reward = reward ?? throw new ArgumentNullException(nameof(reward));
    }

    /// <summary>The text width D of the model's encoder (from one encoding of <c>""</c>, on first use).</summary>
    public int TextWidth => textWidth > 0 ? textWidth : textWidth = (int)IpgoText.EncodeUnconditional(pipeline.Model.TextEncoder, string.Empty, 2).Shape[2];

    /// <summary>
    /// New tokens for <paramref name="prompts"/> on this model and reward, after checking that every prompt fits with
    /// the prefix and suffix.
    /// </summary>
    /// <exception cref="IpgoPromptTooLongException">A prompt is too long.</exception>
    public IpgoTokens CreateTokens(IpgoOptions options, IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0)
        {
            throw new ArgumentException("IPGO needs at least one training prompt.", nameof(prompts));
        }

        foreach (var prompt in prompts)
        {
            _ = IpgoText.EncodePrompt(pipeline.Model.TextEncoder, prompt, options.PrefixLength, options.SuffixLength);
        }

        return IpgoTokens.Create(TextWidth, options, new IpgoMetadata { BaseModel = pipeline.Model.Name, Reward = reward.Name, Prompts = [.. prompts] });
    }

    /// <summary>
    /// Trains <paramref name="tokens"/> on their prompts from the epoch they reached up to
    /// <see cref="IpgoOptions.Epochs"/>, reporting after every generation and calling <paramref name="checkpoint"/>
    /// after every epoch (save the tokens there to be able to resume).
    /// </summary>
    public IpgoTrainingResult Train(IpgoTokens tokens, IProgress<IpgoEpochReport>? progress = null, Action<IpgoTokens>? checkpoint = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var clock = Stopwatch.StartNew();
        var options = tokens.Options;
        options.Validate(tokens.TextWidth);
        var prompts = tokens.Metadata.Prompts;
        if (prompts.Count == 0)
        {
            throw new ArgumentException("The tokens have no training prompts.", nameof(tokens));
        }

        if (TextWidth != tokens.TextWidth)
        {
            throw new ArgumentException($"The model '{pipeline.Model.Name}' has text width {TextWidth}, the tokens {tokens.TextWidth}.", nameof(tokens));
        }

        var encoder = pipeline.Model.TextEncoder;
        var sampler = new IpgoSampler(pipeline.Model, reward, options);
        var prompt = new FloatTensor[prompts.Count];
        var unconditional = new FloatTensor[prompts.Count];
        for (var k = 0; k < prompts.Count; k++)
        {
            prompt[k] = IpgoText.EncodePrompt(encoder, prompts[k], options.PrefixLength, options.SuffixLength);
            unconditional[k] = IpgoText.EncodeUnconditional(encoder, string.Empty, (int)prompt[k].Shape[1] + options.PrefixLength + options.SuffixLength);
        }

        var d = tokens.TextWidth;
        var prefix = tokens.Prefix;
        var suffix = tokens.Suffix;
        float[][] parameters = [prefix.Parameters, suffix.Parameters];
        float[][] gradients = [new float[prefix.ParameterCount], new float[suffix.ParameterCount]];
        var prefixGradient = new float[prefix.Length * d];
        var suffixGradient = new float[suffix.Length * d];
        var tokensFixed = prompts.Count <= options.AccumulationSteps; // one optimiser step per epoch
        var scale = 1.0 / options.AccumulationSteps;
        FloatTensor? bestImage = null;
        var modelTime = TimeSpan.Zero;
        TokenForward? prefixForward = null, suffixForward = null;

        for (var epoch = tokens.History.EpochsDone; epoch < options.Epochs; epoch++)
        {
            double rewardSum = 0, penaltySum = 0;
            FloatTensor? firstImage = null;
            float[]? epochPrefix = null, epochSuffix = null;
            for (var k = 0; k < prompts.Count; k++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var generationClock = Stopwatch.StartNew();
                prefixForward ??= prefix.Forward();
                suffixForward ??= suffix.Forward();
                epochPrefix ??= prefixForward.Tokens.Data;
                epochSuffix ??= suffixForward.Tokens.Data;

                var (sample, penalty) = Generate(sampler, options, prefixForward, suffixForward, prompt[k], unconditional[k], prompts[k], prefixGradient, suffixGradient, scale, cancellationToken);
                modelTime += sample.ModelTime;
                firstImage ??= sample.Image;

                tokens.History.AddGeneration(sample.Reward);
                rewardSum += sample.Reward;
                penaltySum += penalty;

                double? norm = null;
                if ((k + 1) % options.AccumulationSteps == 0 || k + 1 == prompts.Count)
                {
                    prefix.Backward(prefixForward, prefixGradient, gradients[0]);
                    suffix.Backward(suffixForward, suffixGradient, gradients[1]);
                    norm = GradientClipping.ClipTotalNorm(gradients, options.MaxGradientNorm);
                    tokens.Optimizer.Step(parameters, gradients, tokens.LearningRate.Current);
                    tokens.LearningRate.Step();
                    tokens.History.AddStep(norm.Value);
                    Array.Clear(gradients[0]);
                    Array.Clear(gradients[1]);
                    Array.Clear(prefixGradient);
                    Array.Clear(suffixGradient);
                    prefixForward = suffixForward = null;
                }

                var complete = k + 1 == prompts.Count;
                double? epochReward = null;
                if (complete)
                {
                    epochReward = rewardSum / prompts.Count;
                    if (tokens.History.CloseEpoch(epochReward.Value, penaltySum / prompts.Count, tokensFixed, epochPrefix, epochSuffix!) && prompts.Count == 1)
                    {
                        bestImage = firstImage;
                    }
                }

                progress?.Report(new IpgoEpochReport
                {
                    Epoch = epoch + 1,
                    Epochs = options.Epochs,
                    Generation = k + 1,
                    Generations = prompts.Count,
                    Prompt = prompts[k],
                    Reward = sample.Reward,
                    Penalty = penalty,
                    Loss = -sample.Reward + (options.PenaltyWeight * penalty),
                    EpochComplete = complete,
                    EpochReward = epochReward,
                    BestReward = tokens.History.BestReward,
                    InitialReward = tokens.History.InitialReward,
                    LearningRate = tokens.LearningRate.Current,
                    GradientNorm = norm,
                    Elapsed = generationClock.Elapsed,
                    ModelTime = sample.ModelTime,
                });
            }

            checkpoint?.Invoke(tokens);
        }

        return new IpgoTrainingResult(tokens, bestImage, clock.Elapsed, modelTime);
    }

    /// <summary>
    /// The loss −reward + λ·penalty of prompt <paramref name="promptIndex"/> for the tokens' current parameters and its
    /// gradient with respect to both modules' parameters (no update): what one training generation computes.
    /// </summary>
    internal (double Loss, float Reward, float[] PrefixGradient, float[] SuffixGradient) LossAndGradient(IpgoTokens tokens, int promptIndex, CancellationToken cancellationToken = default)
    {
        var options = tokens.Options;
        var text = tokens.Metadata.Prompts[promptIndex];
        var e = IpgoText.EncodePrompt(pipeline.Model.TextEncoder, text, options.PrefixLength, options.SuffixLength);
        var u = IpgoText.EncodeUnconditional(pipeline.Model.TextEncoder, string.Empty, (int)e.Shape[1] + options.PrefixLength + options.SuffixLength);
        var prefixForward = tokens.Prefix.Forward();
        var suffixForward = tokens.Suffix.Forward();
        var prefixTokenGradient = new float[tokens.Prefix.Length * tokens.TextWidth];
        var suffixTokenGradient = new float[tokens.Suffix.Length * tokens.TextWidth];
        var (sample, penalty) = Generate(new IpgoSampler(pipeline.Model, reward, options), options, prefixForward, suffixForward, e, u, text, prefixTokenGradient, suffixTokenGradient, 1, cancellationToken);
        var prefixGradient = new float[tokens.Prefix.ParameterCount];
        var suffixGradient = new float[tokens.Suffix.ParameterCount];
        tokens.Prefix.Backward(prefixForward, prefixTokenGradient, prefixGradient);
        tokens.Suffix.Backward(suffixForward, suffixTokenGradient, suffixGradient);
        return (-sample.Reward + (options.PenaltyWeight * penalty), sample.Reward, prefixGradient, suffixGradient);
    }

    // One generation with c = [P; E; S]: adds (−∇_c reward + λ∇_c penalty)·scale of the prefix and suffix rows to the token gradients.
    private static (IpgoSample Sample, double Penalty) Generate(
        IpgoSampler sampler, IpgoOptions options, TokenForward prefix, TokenForward suffix, FloatTensor prompt, FloatTensor unconditional, string text,
        float[] prefixGradient, float[] suffixGradient, double scale, CancellationToken cancellationToken)
    {
        var c = IpgoText.Concatenate(prefix.Tokens, prompt, suffix.Tokens);
        var penaltyGradient = new float[c.Length];
        var penalty = ConformityPenalty.Compute(c, prompt, penaltyGradient);
        var sample = sampler.Run(c, unconditional, text, cancellationToken);
        var d = (int)c.Shape[2];
        var rows = (int)c.Shape[1];
        var prefixRows = (int)prefix.Tokens.Shape[0];
        var suffixRows = (int)suffix.Tokens.Shape[0];
        for (var s = 0; s < rows; s++)
        {
            var target = s < prefixRows ? prefixGradient.AsSpan(s * d, d)
                : s >= rows - suffixRows ? suffixGradient.AsSpan((s - (rows - suffixRows)) * d, d)
                : default;
            for (var j = 0; j < target.Length; j++)
            {
                target[j] += (float)(((-sample.Gradient.Data[(s * d) + j]) + (options.PenaltyWeight * penaltyGradient[(s * d) + j])) * scale);
            }
        }

        return (sample, penalty);
    }
}
