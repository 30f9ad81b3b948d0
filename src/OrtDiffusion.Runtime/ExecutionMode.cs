namespace OrtDiffusion.Runtime;

/// <summary>Whether independent graph branches run one after another or in parallel.</summary>
public enum ExecutionMode
{
    /// <summary>One node at a time (parallelism only inside nodes); the default.</summary>
    Sequential = 0,
    /// <summary>Independent nodes run in parallel on the inter-op thread pool.</summary>
    Parallel = 1,
}
