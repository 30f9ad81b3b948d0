using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Benchmarks;

/// <summary>The tiny zoo written once per benchmark process into a temp folder.</summary>
internal static class ZooFolder
{
    private static readonly Lazy<TinyZooLayout> Layout = new(() =>
        TinyZoo.WriteAll(Path.Combine(Path.GetTempPath(), "ortdiffusion-bench", $"zoo-{Environment.ProcessId}")));

    public static TinyZooLayout Zoo => Layout.Value;

    public static string StableDiffusion => Zoo.StableDiffusion;

    public static string Model(string component) => Path.Combine(StableDiffusion, component, "model.onnx");
}
