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
        CustomParser = r =>
        {
            switch (r.Tokens.Single().Value.ToLowerInvariant())
            {
                case "cpu":
                    return ExecutionDevice.Cpu;
                case "cuda" or "gpu":
                    return ExecutionDevice.Cuda;
                case var other:
                    r.AddError($"--device must be cpu or cuda, not '{other}'.");
                    return ExecutionDevice.Cpu;
            }
        },
    };
}
