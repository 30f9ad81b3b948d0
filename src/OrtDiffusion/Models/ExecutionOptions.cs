using OrtDiffusion.Runtime;

namespace OrtDiffusion.Models;

/// <summary>Where and how the library runs its ONNX models.</summary>
public sealed record ExecutionOptions
{
    /// <summary>CPU by default; CUDA needs an ONNX Runtime build with the CUDA provider (see <c>ORTDIFFUSION_ONNXRUNTIME_LIB</c>).</summary>
    public ExecutionDevice Device { get; init; } = ExecutionDevice.Cpu;

    /// <summary>The CUDA device index.</summary>
    public int DeviceId { get; init; }

    /// <summary>Threads inside one operator; 0 lets ONNX Runtime choose.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>
    /// Whether ONNX Runtime's intra-op worker threads spin while waiting for work (its default, true). Every session
    /// has its own pool, and the gradient methods alternate between several sessions (denoiser, its VJP halves, the
    /// decoder's, the reward's), whose spinning threads then compete with the running one; false lets idle workers
    /// sleep. Measured on the zoo PixArt (2 shared cores): see benchmarks/OrtDiffusion.Benchmarks/PixArt.
    /// </summary>
    public bool AllowSpinning { get; init; } = true;

    /// <summary>Graph optimisation level for every session.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.All;

    /// <summary>The defaults: CPU, ONNX Runtime's thread count, all optimisations.</summary>
    public static ExecutionOptions Default { get; } = new();

    /// <summary>Opens a session for <paramref name="modelPath"/> with these options.</summary>
    public InferenceSession OpenSession(string modelPath)
    {
        using var options = SessionOptions.ForDevice(Device, DeviceId);
        options.IntraOpThreads = IntraOpThreads;
        options.GraphOptimizationLevel = OptimizationLevel;
        if (!AllowSpinning)
        {
            options.AddConfigEntry("session.intra_op.allow_spinning", "0");
        }

        return new InferenceSession(modelPath, options);
    }
}
