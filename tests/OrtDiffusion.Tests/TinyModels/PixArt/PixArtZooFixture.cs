using OrtDiffusion.Onnx;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.TinyModels.PixArt;

/// <summary>
/// Two tiny PixArt-α folders built once for the "tiny pixart" collection: <c>pixart</c> with the default options
/// (seed 0, opset 17, int64 timestep and mask, 512-px style) and <c>pixart-1024</c> with every other choice (opset 14,
/// float timestep and mask, resolution/aspect-ratio conditioning, weights inside the model file). With
/// <c>ORTDIFFUSION_KEEP_TINYZOO=DIR</c> they are written under DIR and kept, for regenerating the Python reference
/// fixtures (Reference/pixart_torch_reference.py reads them).
/// </summary>
public sealed class PixArtZooFixture : IDisposable
{
    public static readonly PixArtZooOptions Variant = new()
    {
        Opset = 14,
        TimestepType = ElementType.Float,
        MaskType = ElementType.Float,
        AdditionalConditions = true,
        TransformerExternalData = false,
    };

    private readonly TempFolder? folder;

    public PixArtZooFixture()
    {
        var keep = Environment.GetEnvironmentVariable("ORTDIFFUSION_KEEP_TINYZOO");
        if (string.IsNullOrEmpty(keep))
        {
            folder = new TempFolder("tinypixart");
        }

        Root = folder?.Path ?? keep!;
        Default = TinyZoo.WritePixArt(Path.Combine(Root, "pixart"));
        Conditioned = TinyZoo.WritePixArt(Path.Combine(Root, "pixart-1024"), Variant);
    }

    public string Root { get; }

    /// <summary>The default folder.</summary>
    public string Default { get; }

    /// <summary>The 1024-px style folder with the non-default options.</summary>
    public string Conditioned { get; }

    /// <summary>A component's model file in the default folder.</summary>
    public string Model(string component) => Path.Combine(Default, component, "model.onnx");

    public void Dispose() => folder?.Dispose();
}

[CollectionDefinition(Name)]
public sealed class PixArtZooCollection : ICollectionFixture<PixArtZooFixture>
{
    public const string Name = "tiny pixart";
}
