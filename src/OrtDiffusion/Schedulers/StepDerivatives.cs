namespace OrtDiffusion.Schedulers;

/// <summary>
/// Partial derivatives of one scheduler step's outputs with respect to its inputs, with the
/// multistep history and any injected noise held fixed. Every supported step is element-wise
/// affine in the current model output <c>m</c> and the current sample <c>x</c>, so each
/// derivative is one scalar shared by all elements:
/// <c>prev = PrevWrtModelOutput·m + PrevWrtSample·x + (terms of history and noise)</c>, and
/// likewise for the predicted original sample x̄₀.
/// </summary>
/// <param name="PrevWrtModelOutput">∂ prevSample / ∂ modelOutput.</param>
/// <param name="PrevWrtSample">
/// ∂ prevSample / ∂ sample. Zero where the step restarts from a stored sample (PLMS's second
/// step, the inner stages of PNDM's Runge-Kutta warm-up).
/// </param>
/// <param name="OriginalWrtModelOutput">∂ x̄₀ / ∂ modelOutput.</param>
/// <param name="OriginalWrtSample">∂ x̄₀ / ∂ sample.</param>
public readonly record struct StepDerivatives(
    double PrevWrtModelOutput,
    double PrevWrtSample,
    double OriginalWrtModelOutput,
    double OriginalWrtSample);
