namespace OrtDiffusion.Onnx.Autodiff;

/// <summary>Counts describing a built VJP graph.</summary>
public sealed class VjpStatistics
{
    /// <summary>Forward nodes kept (those the output depends on).</summary>
    public int ForwardNodes { get; internal set; }

    /// <summary>Forward nodes that were differentiated.</summary>
    public int DifferentiatedNodes { get; internal set; }

    /// <summary>Nodes added for the backward pass.</summary>
    public int BackwardNodes { get; internal set; }

    /// <summary>Broadcast reductions decided from inferred shapes.</summary>
    public int StaticReductions { get; internal set; }

    /// <summary>Broadcast reductions whose axes are computed at run time (shapes were not provably equal).</summary>
    public int DynamicReductions { get; internal set; }

    /// <summary>Tensors whose gradient had several contributions, summed once each.</summary>
    public int AccumulatedTensors { get; internal set; }

    /// <inheritdoc />
    public override string ToString() =>
        $"{ForwardNodes} forward nodes ({DifferentiatedNodes} differentiated), {BackwardNodes} backward nodes, " +
        $"{AccumulatedTensors} accumulated gradients, broadcast reductions {StaticReductions} static / {DynamicReductions} dynamic";
}
