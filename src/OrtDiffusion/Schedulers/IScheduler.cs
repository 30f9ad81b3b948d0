namespace OrtDiffusion.Schedulers;

/// <summary>
/// A diffusion sampler as pipelines drive it: pick timesteps, scale the model input, and step
/// from one noise level to the next, matching the diffusers scheduler of the same name.
/// </summary>
/// <remarks>
/// <para>
/// A run: <see cref="SetTimesteps"/> (or <see cref="Reset"/> to rerun the same schedule), draw
/// the initial noise and multiply it by <see cref="InitNoiseSigma"/> (or <see cref="AddNoise"/>
/// an encoded image at <see cref="GetTimestepIndexForStrength"/>), then for each
/// <c>i</c> from the start index to <c>Timesteps.Count − 1</c>: scale the sample with
/// <see cref="ScaleModelInput"/>, run the model at <c>Timesteps[i]</c>, and call
/// <see cref="Step"/> with <c>i</c>. Steps must run in order; the first step after
/// <see cref="SetTimesteps"/> or <see cref="Reset"/> may start at any index.
/// </para>
/// <para>
/// Spans cover the whole batch <c>[B, C, H, W]</c> in row-major order. After the first step
/// for a given sample length nothing is allocated per step. A scheduler holds per-run state
/// (multistep history) and is not thread-safe: use one instance per concurrent generation
/// (<see cref="Clone"/> is cheap).
/// </para>
/// </remarks>
public interface IScheduler
{
    /// <summary>Which algorithm this is.</summary>
    SchedulerKind Kind { get; }

    /// <summary>The config the scheduler was built from.</summary>
    SchedulerConfig Config { get; }

    /// <summary>The step count last passed to <see cref="SetTimesteps"/>; 0 before.</summary>
    int NumInferenceSteps { get; }

    /// <summary>
    /// The model timestep for each call of <see cref="Step"/>, noisiest first, as float
    /// (integers for DDIM, PNDM and DPM-Solver; fractional for LMS and Euler with "linspace"
    /// spacing). Cast to int64 or float as the model wants. PNDM has more entries than
    /// inference steps (PLMS repeats its second timestep; the Runge-Kutta warm-up adds stages).
    /// </summary>
    IReadOnlyList<float> Timesteps { get; }

    /// <summary>
    /// The noise levels σ for LMS, Euler and DPM-Solver: one per timestep plus the final one
    /// (<c>Timesteps.Count + 1</c> entries). Null for DDIM and PNDM, which are defined on ᾱ.
    /// </summary>
    IReadOnlyList<float>? Sigmas { get; }

    /// <summary>The standard deviation of the initial noise (σ_max for LMS/Euler, otherwise 1).</summary>
    float InitNoiseSigma { get; }

    /// <summary>
    /// Whether <see cref="GetStepDerivatives"/> is available: false when clip_sample or
    /// dynamic thresholding makes the step non-affine.
    /// </summary>
    bool HasStepDerivatives { get; }

    /// <summary>Computes the timesteps (and sigmas) for <paramref name="numInferenceSteps"/> steps and clears the run state.</summary>
    /// <exception cref="ArgumentOutOfRangeException">Fewer than 1 or more than <c>num_train_timesteps</c> steps.</exception>
    void SetTimesteps(int numInferenceSteps);

    /// <summary>Clears the run state (history, step counters), keeping the timesteps, for a new generation.</summary>
    void Reset();

    /// <summary>
    /// A copy with the same config, timesteps, settings and run state (history included),
    /// sharing the immutable tables. Use it for a fresh scheduler per generation, or to probe
    /// a step without disturbing the original.
    /// </summary>
    IScheduler Clone();

    /// <summary>The factor <see cref="ScaleModelInput"/> multiplies by at step <paramref name="stepIndex"/>, i.e. its derivative.</summary>
    float ModelInputScale(int stepIndex);

    /// <summary>Writes the denoiser's input for step <paramref name="stepIndex"/>: the sample scaled by <see cref="ModelInputScale"/>.</summary>
    void ScaleModelInput(ReadOnlySpan<float> sample, Span<float> destination, int stepIndex);

    /// <summary>
    /// Takes step <paramref name="stepIndex"/>: from <paramref name="sample"/> at
    /// <c>Timesteps[stepIndex]</c> and the model's output there, writes the less noisy sample
    /// and the predicted original sample x̄₀.
    /// </summary>
    /// <param name="modelOutput">The denoiser output (after guidance), same length as the sample.</param>
    /// <param name="stepIndex">Index into <see cref="Timesteps"/>; one more than the previous call's, except for the first step of a run.</param>
    /// <param name="sample">The current sample x_t (unscaled).</param>
    /// <param name="prevSample">Receives x_{t−1}. May be the very same memory as <paramref name="sample"/> (in place); must not otherwise overlap an input.</param>
    /// <param name="predictedOriginal">
    /// Receives x̄₀ as this scheduler defines it (diffusers' <c>pred_original_sample</c>, after
    /// clipping or thresholding; for PNDM, which diffusers does not report, the Tweedie
    /// estimate from this step's sample and model output at <c>Timesteps[stepIndex]</c>). Pass
    /// an empty span when it is not needed.
    /// </param>
    /// <param name="batchSize">Number of samples in the spans; dynamic thresholding works per sample.</param>
    /// <param name="noise">Standard normal noise for stochastic steps (DDIM with η &gt; 0, Euler with churn); unused otherwise.</param>
    /// <exception cref="InvalidOperationException">Out-of-order step, no timesteps set, or noise needed but not given.</exception>
    /// <exception cref="ArgumentException">Span lengths differ or are not divisible by the batch size.</exception>
    void Step(
        ReadOnlySpan<float> modelOutput,
        int stepIndex,
        ReadOnlySpan<float> sample,
        Span<float> prevSample,
        Span<float> predictedOriginal,
        int batchSize = 1,
        INoiseSource? noise = null);

    /// <summary>
    /// The derivatives of step <paramref name="stepIndex"/>'s outputs with respect to its model
    /// output and sample, with history and noise held fixed. Call it for the step about to be
    /// taken: after <c>Step(stepIndex − 1)</c> (or, at the start of a run, before the first
    /// <c>Step</c>, which is then assumed to be <paramref name="stepIndex"/>) and before
    /// <c>Step(stepIndex)</c>; the order a multistep method uses depends on how many steps the
    /// run has taken.
    /// </summary>
    /// <exception cref="NotSupportedException">clip_sample or dynamic thresholding make the step non-affine.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="stepIndex"/> is not the next step of the run.</exception>
    StepDerivatives GetStepDerivatives(int stepIndex);

    /// <summary>
    /// The derivatives of step <paramref name="stepIndex"/>'s previous sample with respect to the model
    /// outputs and samples of earlier steps of the run, through the history the scheduler stored (one entry
    /// per earlier step that enters, oldest first; empty for single-step methods such as DDIM and Euler).
    /// Call it when <see cref="GetStepDerivatives"/> may be called: after <c>Step(stepIndex − 1)</c> and
    /// before <c>Step(stepIndex)</c>.
    /// </summary>
    /// <exception cref="NotSupportedException">clip_sample or dynamic thresholding make the step non-affine.</exception>
    /// <exception cref="InvalidOperationException"><paramref name="stepIndex"/> is not the next step of the run.</exception>
    IReadOnlyList<HistoryDerivative> GetHistoryDerivatives(int stepIndex);

    /// <summary>
    /// Noises a clean sample to the noise level of step <paramref name="stepIndex"/>
    /// (image-to-image): <c>√ᾱ_t·x₀ + √(1−ᾱ_t)·ε</c> for DDIM/PNDM, <c>x₀ + σ·ε</c> for
    /// LMS/Euler, <c>α·x₀ + σ_vp·ε</c> for DPM-Solver. <paramref name="destination"/> may be
    /// the same memory as <paramref name="original"/>.
    /// </summary>
    void AddNoise(ReadOnlySpan<float> original, ReadOnlySpan<float> noise, int stepIndex, Span<float> destination);

    /// <summary>
    /// The step index an image-to-image run starts at for <paramref name="strength"/>, as
    /// diffusers computes it: <c>init = min(⌊steps·strength⌋, steps)</c>,
    /// <c>start = max(steps − init, 0)</c> (times the scheduler order, which is 1 for all five).
    /// Noise the image with <see cref="AddNoise"/> at this index and step from it.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">strength outside (0, 1], or so small that no step would run.</exception>
    int GetTimestepIndexForStrength(double strength);
}
