using OrtDiffusion.Runtime;

namespace OrtDiffusion.Tests.Runtime;

/// <summary>CUDA on the CPU-only build must fail clearly, before ONNX Runtime gets a chance to fail obscurely.</summary>
public class ExecutionProviderTests
{
    [Fact]
    public void Appending_cuda_on_the_cpu_build_explains_what_to_do()
    {
        using var options = new SessionOptions();
        var ex = Assert.Throws<NotSupportedException>(() => options.AppendCuda());
        Assert.Contains("has no CUDA execution provider", ex.Message);
        Assert.Contains(OnnxRuntime.LibraryPath, ex.Message);
        Assert.Contains(OnnxRuntime.Version, ex.Message);
        Assert.Contains(OnnxRuntime.LibraryPathEnvironmentVariable, ex.Message);
        Assert.Contains("CPUExecutionProvider", ex.Message);
        Assert.Contains("libonnxruntime_providers_cuda.so", ex.Message); // what exactly is missing, and where
        Assert.Contains(Path.GetDirectoryName(OnnxRuntime.LibraryPath)!, ex.Message);
        Assert.Empty(options.AppendedProviders);
    }

    [Fact]
    public void Cuda_device_options_fail_the_same_way_and_cpu_needs_nothing()
    {
        Assert.Throws<NotSupportedException>(() => SessionOptions.ForDevice(ExecutionDevice.Cuda));
        using var cpu = SessionOptions.ForDevice(ExecutionDevice.Cpu);
        Assert.Empty(cpu.AppendedProviders);
        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"), cpu);
        Assert.Single(session.Inputs);
    }
}
