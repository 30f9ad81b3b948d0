using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>
/// The default zoo (seed 0, opset 17), built once and shared by the test classes of the "tiny zoo" collection.
/// With <c>ORTDIFFUSION_KEEP_TINYZOO=DIR</c> set it is written to DIR and kept, for regenerating the Python
/// reference fixtures (Reference/zoo_torch_reference.py reads it).
/// </summary>
public sealed class ZooFixture : IDisposable
{
    private readonly TempFolder? folder;

    public ZooFixture()
    {
        var keep = Environment.GetEnvironmentVariable("ORTDIFFUSION_KEEP_TINYZOO");
        if (string.IsNullOrEmpty(keep))
        {
            folder = new TempFolder("tinyzoo");
        }

        Layout = TinyZoo.WriteAll(folder?.Path ?? keep!);
    }

    public TinyZooLayout Layout { get; }

    public string StableDiffusion => Layout.StableDiffusion;

    /// <summary>The model file of a Stable Diffusion component (<c>unet</c>, <c>text_encoder</c>, …).</summary>
    public string Model(string component) => Path.Combine(StableDiffusion, component, "model.onnx");

    /// <summary>A file of a reward folder.</summary>
    public string Reward(RewardKind kind, string file = "model.onnx") => Path.Combine(Layout.Rewards[kind], file);

    public void Dispose() => folder?.Dispose();
}

[CollectionDefinition(Name)]
public sealed class ZooCollection : ICollectionFixture<ZooFixture>
{
    public const string Name = "tiny zoo";
}
