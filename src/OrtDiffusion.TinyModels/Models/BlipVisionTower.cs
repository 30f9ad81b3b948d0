using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Models;

/// <summary>
/// ImageReward's image tower: BLIP's <c>VisionTransformer</c> (timm style) as torch.onnx.export writes it, on
/// normalised <c>[B, 3, S, S]</c> pixels → the image tokens <c>[B, 1 + patches, width]</c> the text encoder
/// cross-attends to.
/// </summary>
internal static class BlipVisionTower
{
    public const string Prefix = "blip.visual_encoder";
    private const float Epsilon = 1e-6f;

    /// <summary>
    /// <c>patch_embed</c> (<c>Conv</c> with bias, <c>flatten(2).transpose(1, 2)</c>), <c>cls_token.expand(B, -1, -1)</c>
    /// concatenated first, <c>pos_embed[:, :N]</c> (<c>Slice</c>) added, pre-norm blocks (timm attention, GELU MLP),
    /// the final <c>norm</c>.
    /// </summary>
    public static Value Embed(ExportGraph net, Value pixels)
    {
        var g = net.G;
        var tokens = ((BlipImageSize / BlipPatch) * (BlipImageSize / BlipPatch)) + 1;
        using var _ = g.Scope("visual_encoder");
        Value x;
        using (g.Scope("patch_embed"))
        {
            var embedded = net.Conv(pixels, $"{Prefix}.patch_embed.proj", 3, BlipVisionWidth, BlipPatch, stride: BlipPatch);
            var flat = g.Reshape(embedded, net.ShapeOf(g.Slice(g.Shape(embedded), [0], [2], [0]), net.Ints(-1)));
            x = g.Transpose(flat, 0, 2, 1);
        }

        // cls_token.expand(B, -1, -1): torch resolves the -1s against the token's own shape by Equal/Where.
        var target = g.Reshape(net.ShapeOf(net.Vec(net.Dim(x, 0)), net.Ints(-1), net.Ints(-1)), -1);
        var ones = net.Filled(g.Shape(target), 1, ElementType.Int64);
        var expandShape = g.Where(g.Equal(target, g.Mul(ones, net.Ints(-1))), ones, target);
        var cls = g.Expand(net.Normal($"{Prefix}.cls_token", 0.5, [1, 1, BlipVisionWidth]), expandShape);
        x = g.Concat(1, cls, x);
        var positions = g.Slice(net.Normal($"{Prefix}.pos_embed", 0.1, [1, tokens, BlipVisionWidth]), net.Ints(0), net.Vec(net.Dim(x, 1)), net.Ints(1));
        x = g.Add(x, positions);

        using (g.Scope("blocks"))
        {
            for (var i = 0; i < BlipVisionLayers; i++)
            {
                x = Block(net, x, $"{Prefix}.blocks.{i}");
            }
        }

        return net.LayerNorm(x, $"{Prefix}.norm", BlipVisionWidth, Epsilon);
    }

    /// <summary>timm's <c>Block</c>: <c>x + attn(norm1(x))</c>, then <c>x + mlp(norm2(x))</c> with an exact-GELU MLP.</summary>
    private static Value Block(ExportGraph net, Value x, string name)
    {
        var g = net.G;
        using var _ = g.Scope(ExportGraph.Leaf(name));
        x = g.Add(x, net.TimmAttention(net.LayerNorm(x, $"{name}.norm1", BlipVisionWidth, Epsilon), $"{name}.attn", BlipVisionWidth, BlipVisionHeads));
        Value mlp;
        using (g.Scope("mlp"))
        {
            var up = net.Linear(net.LayerNorm(x, $"{name}.norm2", BlipVisionWidth, Epsilon), $"{name}.mlp.fc1", BlipVisionWidth, 4 * BlipVisionWidth);
            mlp = net.Linear(net.Gelu(up), $"{name}.mlp.fc2", 4 * BlipVisionWidth, BlipVisionWidth, gain: 0.5);
        }

        return g.Add(x, mlp);
    }
}
