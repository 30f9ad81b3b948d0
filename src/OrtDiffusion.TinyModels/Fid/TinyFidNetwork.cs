using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;

namespace OrtDiffusion.TinyModels.Fid;

/// <summary>
/// A tiny stand-in for the FID Inception network with the same contract as <c>onnx-export/export_fid_inception.py</c>'s
/// export — <c>images float [batch_size, 3, height, width]</c> in [0, 1], any size → <c>features float [batch_size, 64]</c> —
/// and the same shape of computation: bilinear resize to a fixed size inside the graph (half-pixel, as
/// <c>F.interpolate(align_corners=False)</c>), scaling to [−1, 1], convolutions with ReLU, global average pool,
/// flatten. Its features are non-negative averages of ReLU maps, like Inception's pool3.
/// </summary>
internal static class TinyFidNetwork
{
    public const string InputName = "images";
    public const string OutputName = "features";
    public const int InputSize = 32;
    public const int FeatureDimension = 64;

    // (in, out, stride) of the three 3×3 convolutions: 32² → 16² → 8² → 8².
    private static readonly (int In, int Out, int Stride)[] Layers = [(3, 16, 2), (16, 32, 2), (32, FeatureDimension, 1)];

    public static OnnxModel Build(TinyZooOptions options)
    {
        var net = new ExportGraph("fid_tiny", options.Opset, options.Seed, ElementType.Float);
        var g = net.G;
        var images = g.Input(InputName, ElementType.Float, "batch_size", 3, "height", "width");
        Value x;
        using (g.Scope("resize"))
        {
            var sizes = net.ShapeOf(g.Slice(g.Shape(images), [0], [2]), net.Ints(InputSize, InputSize));
            x = g.Op("Resize", [images, Value.None, Value.None, sizes], Attr.String("coordinate_transformation_mode", "half_pixel"), Attr.String("mode", "linear"));
            x = g.Sub(g.Mul(x, net.F(2f)), net.F(1f));
        }

        for (var i = 0; i < Layers.Length; i++)
        {
            var (inChannels, outChannels, stride) = Layers[i];
            x = g.Relu(net.Conv(x, $"blocks.{i}.conv", inChannels, outChannels, 3, stride, pad: 1, gain: Math.Sqrt(2)));
        }

        using (g.Scope("pool"))
        {
            x = g.Flatten(g.Op("GlobalAveragePool", [x]), 1);
        }

        g.Output(x, OutputName, ElementType.Float, "batch_size", FeatureDimension);
        return g.ToModel(TinyZoo.Producer);
    }
}
