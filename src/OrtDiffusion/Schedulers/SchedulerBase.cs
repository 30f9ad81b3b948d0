using System.Collections.ObjectModel;
using System.Numerics.Tensors;

namespace OrtDiffusion.Schedulers;

/// <summary>
/// What the five schedulers share: the training table, the timestep list, argument checks,
/// step ordering, noising for image-to-image, and cloning. Not meant for subclassing outside
/// this library.
/// </summary>
public abstract class SchedulerBase : IScheduler
{
    private float[] _timesteps = [];
    private float[]? _sigmas;
    private ReadOnlyCollection<float> _timestepsView = ReadOnlyCollection<float>.Empty;
    private ReadOnlyCollection<float>? _sigmasView;
    private float[]? _predictedOriginalScratch;
    private int _lastStep = -1;

    private protected SchedulerBase(SchedulerConfig config, SchedulerKind kind)
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate(kind);
        Config = config;
        Table = NoiseSchedule.Create(config, kind);
    }

    /// <inheritdoc/>
    public abstract SchedulerKind Kind { get; }

    /// <inheritdoc/>
    public SchedulerConfig Config { get; }

    /// <inheritdoc/>
    public int NumInferenceSteps { get; private set; }

    /// <inheritdoc/>
    public IReadOnlyList<float> Timesteps => _timestepsView;

    /// <inheritdoc/>
    public IReadOnlyList<float>? Sigmas => _sigmasView;

    /// <inheritdoc/>
    public abstract float InitNoiseSigma { get; }

    /// <inheritdoc/>
    public bool HasStepDerivatives => NonAffineReason is null;

    /// <summary>The training noise table (ᾱ, σ) this scheduler was built with.</summary>
    private protected NoiseSchedule Table { get; }

    /// <summary>The timesteps as an array, for the subclasses' arithmetic.</summary>
    private protected float[] TimestepArray => _timesteps;

    /// <summary>The sigmas as an array (empty for DDIM/PNDM).</summary>
    private protected float[] SigmaArray => _sigmas ?? [];

    /// <summary>Steps taken since the run started (<see cref="SetTimesteps"/> or <see cref="Reset"/>).</summary>
    private protected int StepsTaken { get; private set; }

    /// <summary>Why the step is not affine (clipping, thresholding), or null when it is.</summary>
    private protected virtual string? NonAffineReason => null;

    /// <inheritdoc/>
    public void SetTimesteps(int numInferenceSteps)
    {
        if (numInferenceSteps < 1 || numInferenceSteps > Config.NumTrainTimesteps)
        {
            throw new ArgumentOutOfRangeException(
                nameof(numInferenceSteps),
                numInferenceSteps,
                $"{Kind}: the number of inference steps must be between 1 and num_train_timesteps ({Config.NumTrainTimesteps}).");
        }

        var (timesteps, sigmas) = ComputeSchedule(numInferenceSteps);
        _timesteps = timesteps;
        _sigmas = sigmas;
        _timestepsView = Array.AsReadOnly(timesteps);
        _sigmasView = sigmas is null ? null : Array.AsReadOnly(sigmas);
        NumInferenceSteps = numInferenceSteps;
        Reset();
    }

    /// <inheritdoc/>
    public void Reset()
    {
        StepsTaken = 0;
        _lastStep = -1;
        ResetRun();
    }

    /// <inheritdoc/>
    public IScheduler Clone()
    {
        var copy = (SchedulerBase)MemberwiseClone();
        copy._predictedOriginalScratch = null;
        copy.CopyRunStateFrom(this);
        return copy;
    }

    /// <inheritdoc/>
    public float ModelInputScale(int stepIndex)
    {
        CheckIndex(stepIndex);
        return (float)(1.0 / ModelInputDivisor(stepIndex));
    }

    /// <inheritdoc/>
    public void ScaleModelInput(ReadOnlySpan<float> sample, Span<float> destination, int stepIndex)
    {
        CheckIndex(stepIndex);
        CheckSameLength(sample.Length, destination.Length, nameof(destination));
        var divisor = ModelInputDivisor(stepIndex);
        if (divisor == 1f)
        {
            sample.CopyTo(destination);
        }
        else
        {
            TensorPrimitives.Divide(sample, divisor, destination);
        }
    }

    /// <inheritdoc/>
    public void Step(
        ReadOnlySpan<float> modelOutput,
        int stepIndex,
        ReadOnlySpan<float> sample,
        Span<float> prevSample,
        Span<float> predictedOriginal,
        int batchSize = 1,
        INoiseSource? noise = null)
    {
        CheckNextStep(stepIndex);
        var n = sample.Length;
        if (n == 0)
        {
            throw new ArgumentException($"{Kind} step {stepIndex}: the sample is empty.", nameof(sample));
        }

        CheckSameLength(n, modelOutput.Length, nameof(modelOutput));
        CheckSameLength(n, prevSample.Length, nameof(prevSample));
        if (!predictedOriginal.IsEmpty)
        {
            CheckSameLength(n, predictedOriginal.Length, nameof(predictedOriginal));
        }

        if (batchSize < 1 || n % batchSize != 0)
        {
            throw new ArgumentException(
                $"{Kind} step {stepIndex}: a sample of {n} values cannot be split into {batchSize} samples.", nameof(batchSize));
        }

        CheckAliasing(modelOutput, sample, prevSample, predictedOriginal);
        var x0 = predictedOriginal.IsEmpty ? SpanMath.Ensure(ref _predictedOriginalScratch, n) : predictedOriginal;
        StepCore(modelOutput, stepIndex, sample, prevSample, x0, batchSize, noise);
        StepsTaken++;
        _lastStep = stepIndex;
    }

    /// <inheritdoc/>
    public StepDerivatives GetStepDerivatives(int stepIndex)
    {
        CheckNextStep(stepIndex);
        if (NonAffineReason is { } reason)
        {
            throw new NotSupportedException(
                $"{Kind} step derivatives are not available: {reason} makes the step non-affine in the model output.");
        }

        return DerivativesCore(stepIndex);
    }

    /// <inheritdoc/>
    public IReadOnlyList<HistoryDerivative> GetHistoryDerivatives(int stepIndex)
    {
        CheckNextStep(stepIndex);
        if (NonAffineReason is { } reason)
        {
            throw new NotSupportedException(
                $"{Kind} history derivatives are not available: {reason} makes the step non-affine in the model output.");
        }

        return HistoryCore(stepIndex);
    }

    /// <inheritdoc/>
    public void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int stepIndex, Span<float> destination)
    {
        CheckIndex(stepIndex);
        CheckSameLength(original.Length, noise.Length, nameof(noise));
        CheckSameLength(original.Length, destination.Length, nameof(destination));
        if ((destination.Overlaps(original, out var o1) && o1 != 0) || (destination.Overlaps(noise, out var o2) && o2 != 0))
        {
            throw new ArgumentException($"{Kind}: destination partly overlaps an input; use the same memory or separate memory.", nameof(destination));
        }

        var (signal, noiseScale) = NoiseCoefficients(stepIndex);
        SpanMath.AxpBy(original, signal, noise, noiseScale, destination);
    }

    /// <inheritdoc/>
    public virtual int GetTimestepIndexForStrength(double strength)
    {
        EnsureTimesteps();
        if (!(strength > 0 && strength <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(strength), strength, "strength must be in (0, 1].");
        }

        var steps = NumInferenceSteps;
        var initTimestep = Math.Min((int)(steps * strength), steps);
        if (initTimestep == 0)
        {
            throw new ArgumentOutOfRangeException(
                nameof(strength),
                strength,
                $"strength {strength} with {steps} steps leaves no denoising step (⌊steps·strength⌋ = 0).");
        }

        return Math.Max(steps - initTimestep, 0);
    }

    /// <summary>Timesteps (and sigmas, or null) for <paramref name="steps"/> inference steps.</summary>
    private protected abstract (float[] Timesteps, float[]? Sigmas) ComputeSchedule(int steps);

    /// <summary>Clears history kept between steps.</summary>
    private protected virtual void ResetRun()
    {
    }

    /// <summary>Called on a fresh <see cref="object.MemberwiseClone"/>: replace shared mutable buffers with copies.</summary>
    private protected virtual void CopyRunStateFrom(SchedulerBase source)
    {
    }

    /// <summary>What the sample is divided by to make the model input (1 unless sigma-parameterised).</summary>
    private protected virtual float ModelInputDivisor(int stepIndex) => 1f;

    /// <summary>The step itself; arguments are already checked. <paramref name="x0"/> is never empty.</summary>
    private protected abstract void StepCore(
        ReadOnlySpan<float> modelOutput,
        int stepIndex,
        ReadOnlySpan<float> sample,
        Span<float> prevSample,
        Span<float> x0,
        int batchSize,
        INoiseSource? noise);

    /// <summary>The derivatives of the next step; only called when the step is affine.</summary>
    private protected abstract StepDerivatives DerivativesCore(int stepIndex);

    /// <summary>
    /// The next step's derivatives through the stored history (only called when the step is affine); none
    /// for single-step methods.
    /// </summary>
    private protected virtual IReadOnlyList<HistoryDerivative> HistoryCore(int stepIndex) => [];

    /// <summary>(signal, noise) factors of <see cref="AddNoise"/> at a step.</summary>
    private protected abstract (double Signal, double Noise) NoiseCoefficients(int stepIndex);

    /// <summary>Throws when a stochastic step has no noise source; <paramref name="setting"/> names what makes it stochastic.</summary>
    private protected INoiseSource RequireNoise(INoiseSource? noise, int stepIndex, string setting) =>
        noise ?? throw new InvalidOperationException($"{Kind} step {stepIndex} needs an INoiseSource ({setting}) but none was passed.");

    private protected void CheckIndex(int stepIndex)
    {
        EnsureTimesteps();
        if ((uint)stepIndex >= (uint)_timesteps.Length)
        {
            throw new ArgumentOutOfRangeException(
                nameof(stepIndex), stepIndex, $"{Kind}: step index must be in [0, {_timesteps.Length}).");
        }
    }

    private void EnsureTimesteps()
    {
        if (_timesteps.Length == 0)
        {
            throw new InvalidOperationException($"{Kind}: call SetTimesteps before using the scheduler.");
        }
    }

    private void CheckNextStep(int stepIndex)
    {
        CheckIndex(stepIndex);
        if (StepsTaken > 0 && stepIndex != _lastStep + 1)
        {
            throw new InvalidOperationException(
                $"{Kind}: step {stepIndex} is out of order; the run's last step was {_lastStep}, so the next is {_lastStep + 1}. "
                + "Call Reset() (or SetTimesteps) to start a new run.");
        }
    }

    private void CheckSameLength(int expected, int actual, string name)
    {
        if (expected != actual)
        {
            throw new ArgumentException($"{Kind}: '{name}' has {actual} values, expected {expected} (the sample's length).", name);
        }
    }

    private void CheckAliasing(ReadOnlySpan<float> modelOutput, ReadOnlySpan<float> sample, Span<float> prev, Span<float> x0)
    {
        if (prev.Overlaps(sample, out var offset) && offset != 0)
        {
            throw new ArgumentException($"{Kind}: prevSample partly overlaps sample; use the same memory or separate memory.", nameof(prev));
        }

        if (prev.Overlaps(modelOutput))
        {
            throw new ArgumentException($"{Kind}: prevSample must not overlap modelOutput.", nameof(prev));
        }

        if (!x0.IsEmpty && (x0.Overlaps(sample) || x0.Overlaps(modelOutput) || x0.Overlaps(prev)))
        {
            throw new ArgumentException($"{Kind}: predictedOriginal must not overlap the other spans.", nameof(x0));
        }
    }
}
