using System.CommandLine;
using OrtDiffusion.Runtime;

namespace OrtDiffusion.Cli.Commands;

/// <summary>The shared <c>--device cpu|cuda</c> option.</summary>
internal static class DeviceOption
{
    public static Option<ExecutionDevice> Create() => new("--device")
    {
        Description = "Where to run: cpu, or cuda (needs an ONNX Runtime build with the CUDA provider; see ORTDIFFUSION_ONNXRUNTIME_LIB).",
        DefaultValueFactory = _ => ExecutionDevice.Cpu,
        CustomParser = r => r.Tokens.Single().Value.ToLowerInvariant() switch
        {
            "cpu" => ExecutionDevice.Cpu,
            "cuda" or "gpu" => ExecutionDevice.Cuda,
            var other => throw new ArgumentException($"--device must be cpu or cuda, not '{other}'."),
        },
    };
}
