namespace OrtDiffusion.Schedulers;

/// <summary>
/// How one step's previous sample depends on an <em>earlier</em> step's model output and sample through
/// the history a multistep scheduler keeps (LMS's stored derivatives, PNDM's stored model outputs and
/// restart sample, DPM-Solver's stored converted outputs). Every supported step is element-wise affine
/// in those stored values, so each partial derivative is one scalar shared by all elements:
/// <c>prev_i = … + PrevWrtModelOutput·m_j + PrevWrtSample·x_j + …</c>, with every other input of step i
/// (its own model output and sample included) held fixed.
/// </summary>
/// <remarks>
/// Together with <see cref="StepDerivatives"/> this gives the full Jacobian of a run of steps, which a
/// gradient through several sampling steps needs: in an autograd framework the stored history carries
/// the graph of the earlier model outputs, so <c>d x_{i+1} / d m_j</c> has a term through it.
/// </remarks>
/// <param name="StepIndex">The earlier step j (an index into <see cref="IScheduler.Timesteps"/>, j &lt; i).</param>
/// <param name="PrevWrtModelOutput">∂ prev_i / ∂ m_j through the history.</param>
/// <param name="PrevWrtSample">∂ prev_i / ∂ x_j through the history (the sample step j was given).</param>
public readonly record struct HistoryDerivative(int StepIndex, double PrevWrtModelOutput, double PrevWrtSample);
