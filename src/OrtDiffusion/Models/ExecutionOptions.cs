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

    /// <summary>Graph optimisation level for every session.</summary>
    public GraphOptimizationLevel OptimizationLevel { get; init; } = GraphOptimizationLevel.All;

    /// <summary>
    /// Whether ONNX Runtime's worker threads spin after a run waiting for the next one. Spinning helps a single
    /// session called in a tight loop, but a pipeline alternates between many sessions (UNet, its VJP halves, the
    /// decoder, rewards), whose spinning pools then compete for the cores; off by default. Measured on the zoo PixArt (2 cores):
    /// DATE with 50 % updates 224 ± 2 ms sleeping vs 259 ± 27 ms spinning on an idle machine, and 279 vs 1449 ms while
    /// other processes used the cores (benchmarks/OrtDiffusion.Benchmarks/PixArt).
    /// </summary>
    public bool AllowSpinning { get; init; }

    /// <summary>The defaults: CPU, ONNX Runtime's thread count, all optimisations.</summary>
    public static ExecutionOptions Default { get; } = new();

    /// <summary>Opens a session for <paramref name="modelPath"/> with these options.</summary>
    public InferenceSession OpenSession(string modelPath)
    {
        using var options = SessionOptions.ForDevice(Device, DeviceId);
        options.IntraOpThreads = IntraOpThreads;
        options.GraphOptimizationLevel = OptimizationLevel;
        options.AddConfigEntry("session.intra_op.allow_spinning", AllowSpinning ? "1" : "0");
        options.AddConfigEntry("session.inter_op.allow_spinning", AllowSpinning ? "1" : "0");
        return new InferenceSession(modelPath, options);
    }
}
