using System.Text.Json.Serialization;
using OrtDiffusion.Schedulers;

namespace OrtDiffusion.Ipgo;

/// <summary>
/// IPGO's hyperparameters (papers/NOTES.md). The defaults are the paper's single-prompt setting at SD v1.5's text
/// width 768: K = 300, 10 prefix and 10 suffix tokens, rotation on, Adam lr 10⁻³ (β 0.9/0.999, ε 10⁻⁸, no weight
/// decay), ×0.9 every 10 optimiser steps, gradient norm clipped at 1, conformity weight 0.001, 50 epochs; sampling
/// with LMS, 50 steps, CFG 7.5, 512×512, seed 0, gradients through the last step (the paper's K = 1; the released
/// code keeps two, <see cref="Truncate"/> = 2). <see cref="ForTextWidth"/> and <see cref="BatchForTextWidth"/> adapt
/// the basis size to narrower text encoders (the tiny zoo's 32).
/// </summary>
public sealed record IpgoOptions
{
    /// <summary>The paper's basis size K.</summary>
    public const int PaperBasisSize = 300;

    /// <summary>K, the number of orthonormal basis vectors per module (≤ the text width).</summary>
    public int BasisSize { get; init; } = PaperBasisSize;

    /// <summary>L_p, the number of prefix tokens.</summary>
    public int PrefixLength { get; init; } = 10;

    /// <summary>L_s, the number of suffix tokens.</summary>
    public int SuffixLength { get; init; } = 10;

    /// <summary>Whether the pairwise rotation is applied (false reproduces the released code, whose angle slice is empty).</summary>
    public bool Rotation { get; init; } = true;

    /// <summary>Adam's initial learning rate.</summary>
    public double LearningRate { get; init; } = 1e-3;

    /// <summary>Adam's β₁.</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>Adam's β₂.</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>Adam's ε.</summary>
    public double Epsilon { get; init; } = 1e-8;

    /// <summary>The learning rate is multiplied by <see cref="DecayFactor"/> every this many optimiser steps (one step per epoch for a single prompt).</summary>
    public int DecayEvery { get; init; } = 10;

    /// <summary>The step decay's factor.</summary>
    public double DecayFactor { get; init; } = 0.9;

    /// <summary>The total gradient norm is clipped to this (<c>clip_grad_norm_</c>).</summary>
    public double MaxGradientNorm { get; init; } = 1;

    /// <summary>λ of the loss −reward + λ·penalty (the conformity penalty's weight).</summary>
    public double PenaltyWeight { get; init; } = 0.001;

    /// <summary>Epochs to train (a resumed run continues up to this many in all).</summary>
    public int Epochs { get; init; } = 50;

    /// <summary>Prompts whose gradients are summed (each divided by this) before an optimiser step; 1 for single-prompt training, 4 for batch training.</summary>
    public int AccumulationSteps { get; init; } = 1;

    /// <summary>Sampling steps of each generation.</summary>
    public int Steps { get; init; } = 50;

    /// <summary>The scheduler (<c>ddim|pndm|lms|euler|dpm++</c>).</summary>
    public string Scheduler { get; init; } = "lms";

    /// <summary>The classifier-free guidance scale (at 1 or below only the conditional branch runs).</summary>
    public float GuidanceScale { get; init; } = 7.5f;

    /// <summary>How many final sampling steps the gradient flows through (the UNet outputs before them are constants).</summary>
    public int Truncate { get; init; } = 1;

    /// <summary>The seed of the initial noise (the same noise every epoch and for every prompt).</summary>
    public ulong Seed { get; init; }

    /// <summary>The seed the token modules are drawn from (the released code seeds both with the same value); null means <see cref="Seed"/>.</summary>
    public ulong? InitSeed { get; init; }

    /// <summary>Image width in pixels (a multiple of 8).</summary>
    public int Width { get; init; } = 512;

    /// <summary>Image height in pixels (a multiple of 8).</summary>
    public int Height { get; init; } = 512;

    /// <summary>The seed the modules are drawn from.</summary>
    [JsonIgnore]
    public ulong EffectiveInitSeed => InitSeed ?? Seed;

    /// <summary>The single-prompt defaults with K = min(300, D/2) for a text encoder of width D (300 at D = 768, 16 for the zoo's 32).</summary>
    public static IpgoOptions ForTextWidth(int textWidth) => new() { BasisSize = Math.Min(PaperBasisSize, Math.Max(1, textWidth / 2)) };

    /// <summary>Batch training (tokens shared by a prompt set): 20 epochs, gradient accumulation 4, ×0.95 every 15 optimiser steps.</summary>
    public static IpgoOptions BatchForTextWidth(int textWidth) =>
        ForTextWidth(textWidth) with { Epochs = 20, AccumulationSteps = 4, DecayEvery = 15, DecayFactor = 0.95 };

    /// <summary>Throws with the setting's name when one is out of range for a text encoder of width <paramref name="textWidth"/>.</summary>
    public void Validate(int textWidth)
    {
        Require(textWidth >= 2 && textWidth % 2 == 0, nameof(textWidth), textWidth, "The text width must be even (the rotation pairs coordinates).");
        Require(BasisSize >= 1 && BasisSize <= textWidth, nameof(BasisSize), BasisSize, $"The basis size K must be between 1 and the text width {textWidth}.");
        Require(PrefixLength >= 0 && SuffixLength >= 0 && PrefixLength + SuffixLength >= 1, nameof(PrefixLength), PrefixLength + SuffixLength, "IPGO needs at least one prefix or suffix token (and no negative lengths).");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), nameof(LearningRate), LearningRate, "The learning rate must be a finite number > 0.");
        Require(Beta1 >= 0 && Beta1 < 1 && Beta2 >= 0 && Beta2 < 1, nameof(Beta1), Beta1, "Adam's β₁ and β₂ must be in [0, 1).");
        Require(Epsilon >= 0 && double.IsFinite(Epsilon), nameof(Epsilon), Epsilon, "Adam's ε must be a finite number ≥ 0.");
        Require(DecayEvery >= 1, nameof(DecayEvery), DecayEvery, "The decay interval must be at least 1 optimiser step.");
        Require(DecayFactor > 0 && double.IsFinite(DecayFactor), nameof(DecayFactor), DecayFactor, "The decay factor must be a finite number > 0.");
        Require(MaxGradientNorm > 0 && double.IsFinite(MaxGradientNorm), nameof(MaxGradientNorm), MaxGradientNorm, "The gradient clipping norm must be a finite number > 0.");
        Require(PenaltyWeight >= 0 && double.IsFinite(PenaltyWeight), nameof(PenaltyWeight), PenaltyWeight, "The penalty weight must be a finite number ≥ 0.");
        Require(Epochs >= 1, nameof(Epochs), Epochs, "Train for at least one epoch.");
        Require(AccumulationSteps >= 1, nameof(AccumulationSteps), AccumulationSteps, "Gradient accumulation needs at least 1 prompt per step.");
        Require(Steps >= 1, nameof(Steps), Steps, "Sampling needs at least one step.");
        Require(GuidanceScale >= 0 && float.IsFinite(GuidanceScale), nameof(GuidanceScale), GuidanceScale, "The guidance scale must be a finite number ≥ 0.");
        Require(Truncate >= 1, nameof(Truncate), Truncate, "The gradient must flow through at least the last step.");
        Require(Width >= 8 && Height >= 8 && Width % 8 == 0 && Height % 8 == 0, nameof(Width), $"{Width}×{Height}", "Width and height must be positive multiples of 8.");
        _ = SchedulerFactory.ParseName(Scheduler);
    }

    private static void Require(bool ok, string name, object value, string message)
    {
        if (!ok)
        {
            throw new ArgumentOutOfRangeException(name, value, message);
        }
    }
}
