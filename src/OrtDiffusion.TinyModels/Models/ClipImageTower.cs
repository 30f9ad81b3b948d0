using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Models;

/// <summary>
/// The image side of the CLIP-based rewards: in-graph preprocessing of a <c>[B, 3, H, W]</c> batch in [0, 1] at any
/// size, then transformers' <c>CLIPVisionTransformer</c> and the visual projection, L2-normalised.
/// </summary>
internal static class ClipImageTower
{
    public const string Prefix = "vision_model";

    /// <summary>
    /// Resizes the shorter side to <paramref name="size"/> (default <see cref="VisionImageSize"/>) keeping the aspect ratio (bilinear, half-pixel;
    /// the long side is <c>⌊long · S / short⌋</c> as torchvision computes it), crops the centre square (offsets
    /// <c>⌊(side − S) / 2⌋</c>) and normalises with CLIP's mean and std. Sizes and offsets are computed from the
    /// input's <c>Shape</c>, so one graph takes every image size and the whole chain is differentiable.
    /// </summary>
    public static Value Preprocess(ExportGraph net, Value images, long size = VisionImageSize)
    {
        var g = net.G;
        using var _ = g.Scope("preprocess");
        var height = net.Dim(images, 2);
        var width = net.Dim(images, 3);
        var shorter = g.Op("Min", [height, width]);
        var newHeight = g.Div(g.Mul(height, net.I(size)), shorter);
        var newWidth = g.Div(g.Mul(width, net.I(size)), shorter);
        var sizes = net.ShapeOf(g.Slice(g.Shape(images), [0], [2]), net.Vec(newHeight), net.Vec(newWidth));
        var resized = g.Op(
            "Resize",
            [images, Value.None, Value.None, sizes],
            Attr.String("coordinate_transformation_mode", "half_pixel"),
            Attr.String("mode", "linear"));

        var top = g.Div(g.Sub(newHeight, net.I(size)), net.I(2));
        var left = g.Div(g.Sub(newWidth, net.I(size)), net.I(2));
        var starts = net.ShapeOf(net.Vec(top), net.Vec(left));
        var ends = net.ShapeOf(net.Vec(g.Add(top, net.I(size))), net.Vec(g.Add(left, net.I(size))));
        var cropped = g.Slice(resized, starts, ends, net.Ints(2, 3));

        var mean = g.Constant(Array.ConvertAll(ClipMean, v => (float)v), 1, 3, 1, 1);
        var std = g.Constant(Array.ConvertAll(ClipStd, v => (float)v), 1, 3, 1, 1);
        return g.Div(g.Sub(cropped, mean), std);
    }

    /// <summary>
    /// The vision transformer on normalised <c>[B, 3, S, S]</c> pixels: patch <c>Conv</c> (stride = patch), flatten and
    /// transpose to tokens, class token <c>Expand</c>ed to the batch (with torch's <c>-1</c> handling by
    /// <c>Equal/Where</c>) and concatenated first, position embedding <c>Gather</c>, pre-LayerNorm, encoder layers,
    /// class token (<c>Gather</c> on axis 1), post-LayerNorm, projection <c>MatMul</c>, L2 normalisation → <c>[B, P]</c>.
    /// </summary>
    public static Value Embed(ExportGraph net, Value pixels)
    {
        var g = net.G;
        var patches = VisionImageSize / VisionPatch;
        var tokens = (patches * patches) + 1;
        var batch = net.Dim(pixels, 0);
        Value hidden;
        using (g.Scope(Prefix))
        using (g.Scope("embeddings"))
        {
            var embedded = net.Conv(pixels, $"{Prefix}.embeddings.patch_embedding", 3, VisionWidth, VisionPatch, stride: VisionPatch, bias: false);
            var flat = g.Reshape(embedded, net.ShapeOf(g.Slice(g.Shape(embedded), [0], [2], [0]), net.Ints(-1)));
            var sequence = g.Transpose(flat, 0, 2, 1);

            var target = g.Reshape(net.ShapeOf(net.Vec(batch), net.Ints(1), net.Ints(-1)), -1);
            var ones = net.Filled(g.Shape(target), 1, ElementType.Int64);
            var expandShape = g.Where(g.Equal(target, g.Mul(ones, net.Ints(-1))), ones, target);
            var classToken = g.Expand(net.Normal($"{Prefix}.embeddings.class_embedding", 0.5, [VisionWidth]), expandShape);
            hidden = g.Concat(1, classToken, sequence);

            var positionIds = g.Initializer($"{Prefix}.embeddings.position_ids", Enumerable.Range(0, tokens).Select(i => (long)i).ToArray(), 1, tokens);
            using (g.Scope("position_embedding"))
            {
                hidden = g.Add(hidden, g.Gather(net.Normal($"{Prefix}.embeddings.position_embedding.weight", 0.1, [tokens, VisionWidth]), positionIds));
            }
        }

        using (g.Scope(Prefix))
        {
            hidden = net.LayerNorm(hidden, $"{Prefix}.pre_layrnorm", VisionWidth);
            using (g.Scope("encoder"))
            {
                for (var layer = 0; layer < VisionLayers; layer++)
                {
                    hidden = ClipTextTower.EncoderLayer(net, hidden, $"{Prefix}.encoder.layers.{layer}", null, VisionWidth, VisionHeads);
                }
            }

            var pooled = g.Gather(hidden, net.I(0), axis: 1);
            hidden = net.LayerNorm(pooled, $"{Prefix}.post_layernorm", VisionWidth);
        }

        Value projected;
        using (g.Scope("visual_projection"))
        {
            projected = g.MatMul(hidden, net.Normal("visual_projection.weight.T", 1 / Math.Sqrt(VisionWidth), [VisionWidth, ProjectionWidth]));
        }

        return L2Normalise(net, projected);
    }

    /// <summary><c>x / ‖x‖₂</c> over the last axis, the norm written as <c>Pow → ReduceSum → Sqrt</c> (ops of the census).</summary>
    public static Value L2Normalise(ExportGraph net, Value x)
    {
        var g = net.G;
        var norm = g.Sqrt(g.ReduceSum(g.Pow(x, net.F(2f)), [-1]));
        return g.Div(x, norm);
    }
}
