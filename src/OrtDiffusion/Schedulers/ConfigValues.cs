namespace OrtDiffusion.Schedulers;

// The string-valued settings of a diffusers scheduler config, as enums. The JSON spelling of
// each member is given in its documentation.

/// <summary>How the training betas are laid out (<c>beta_schedule</c>).</summary>
public enum BetaSchedule
{
    /// <summary><c>"linear"</c>: betas evenly spaced from <c>beta_start</c> to <c>beta_end</c>.</summary>
    Linear,

    /// <summary><c>"scaled_linear"</c>: square roots evenly spaced, then squared (Stable Diffusion).</summary>
    ScaledLinear,

    /// <summary><c>"squaredcos_cap_v2"</c>: the cosine schedule of Nichol and Dhariwal, betas capped at 0.999.</summary>
    SquaredCosCapV2,
}

/// <summary>What the denoiser predicts (<c>prediction_type</c>).</summary>
public enum PredictionType
{
    /// <summary><c>"epsilon"</c>: the added noise.</summary>
    Epsilon,

    /// <summary><c>"v_prediction"</c>: the velocity <c>√ᾱ ε − √(1−ᾱ) x₀</c>.</summary>
    VPrediction,

    /// <summary><c>"sample"</c> (or <c>"original_sample"</c>): the clean sample x₀ directly.</summary>
    Sample,
}

/// <summary>How inference timesteps are picked from the training range (<c>timestep_spacing</c>).</summary>
public enum TimestepSpacing
{
    /// <summary><c>"leading"</c>: multiples of <c>N / steps</c> from 0, plus <c>steps_offset</c>.</summary>
    Leading,

    /// <summary><c>"linspace"</c>: evenly spaced over [0, N − 1], the last training step included.</summary>
    Linspace,

    /// <summary><c>"trailing"</c>: multiples of <c>N / steps</c> counted down from N, minus one.</summary>
    Trailing,
}

/// <summary>DPM-Solver's formulation (<c>algorithm_type</c>).</summary>
public enum DpmAlgorithmType
{
    /// <summary><c>"dpmsolver++"</c>: solves in the data (x₀) prediction.</summary>
    DpmSolverPlusPlus,

    /// <summary><c>"dpmsolver"</c>: solves in the noise (ε) prediction.</summary>
    DpmSolver,
}

/// <summary>DPM-Solver's second-order update (<c>solver_type</c>).</summary>
public enum DpmSolverType
{
    /// <summary><c>"midpoint"</c>.</summary>
    Midpoint,

    /// <summary><c>"heun"</c>.</summary>
    Heun,
}

/// <summary>The sigma the last step lands on (<c>final_sigmas_type</c>).</summary>
public enum FinalSigmasType
{
    /// <summary><c>"zero"</c>: the last step lands on a clean sample.</summary>
    Zero,

    /// <summary><c>"sigma_min"</c>: the last step lands on the smallest training sigma.</summary>
    SigmaMin,
}

/// <summary>How Euler interpolates sigmas between training timesteps (<c>interpolation_type</c>).</summary>
public enum InterpolationType
{
    /// <summary><c>"linear"</c>: linear in the timestep.</summary>
    Linear,

    /// <summary><c>"log_linear"</c>: read from configs, refused by the Euler scheduler (see its documentation).</summary>
    LogLinear,
}
