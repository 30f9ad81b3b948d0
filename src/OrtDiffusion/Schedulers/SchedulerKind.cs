namespace OrtDiffusion.Schedulers;

/// <summary>The sampling algorithms OrtDiffusion implements, one per diffusers scheduler class.</summary>
public enum SchedulerKind
{
    /// <summary>DDIM (diffusers <c>DDIMScheduler</c>); CLI name <c>ddim</c>.</summary>
    Ddim,

    /// <summary>PNDM / PLMS (diffusers <c>PNDMScheduler</c>); CLI name <c>pndm</c>.</summary>
    Pndm,

    /// <summary>Linear multistep in sigma (diffusers <c>LMSDiscreteScheduler</c>); CLI name <c>lms</c>.</summary>
    Lms,

    /// <summary>Euler in sigma, optionally with churn (diffusers <c>EulerDiscreteScheduler</c>); CLI name <c>euler</c>.</summary>
    Euler,

    /// <summary>DPM-Solver / DPM-Solver++ multistep (diffusers <c>DPMSolverMultistepScheduler</c>); CLI name <c>dpm++</c>.</summary>
    DpmSolverMultistep,
}
