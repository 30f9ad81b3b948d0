namespace OrtDiffusion.Runtime;

/// <summary>How much ONNX Runtime rewrites the graph when a session loads (same values as the C API).</summary>
public enum GraphOptimizationLevel
{
    /// <summary>No graph optimisation.</summary>
    DisableAll = 0,
    /// <summary>Semantics-preserving basics: constant folding, redundant node removal.</summary>
    Basic = 1,
    /// <summary>Basic plus node fusions.</summary>
    Extended = 2,
    /// <summary>Everything, including layout optimisations (ONNX Runtime's default).</summary>
    All = 99,
}
