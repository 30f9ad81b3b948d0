namespace OrtDiffusion.Runtime;

/// <summary>Where a session runs: a convenience over execution providers.</summary>
public enum ExecutionDevice
{
    /// <summary>ONNX Runtime's CPU execution provider.</summary>
    Cpu,
    /// <summary>The CUDA execution provider (needs a CUDA build of ONNX Runtime), with CPU fallback for unsupported nodes.</summary>
    Cuda,
}
