using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Models;

/// <summary>
/// HPSv2's towers: OpenCLIP's <c>VisionTransformer</c> and text transformer (ViT-H-14 layout, weight names as in
/// <c>open_clip.CLIP</c>) as torch 1.13 exports them: sequence-first residual blocks around
/// <c>nn.MultiheadAttention</c>, exact GELU, the class token added to a <c>torch.zeros</c> batch, the text causal
/// mask as a fixed float buffer of −∞ above the diagonal.
/// </summary>
internal static class OpenClipTowers
{
    private const float Epsilon = 1e-5f;

    /// <summary>
    /// <c>encode_image</c> without normalisation: <c>conv1</c> (no bias), tokens, class token, positional embedding,
    /// <c>ln_pre</c>, the transformer in <c>[L, B, W]</c> layout, <c>ln_post</c> of the class token, <c>@ proj</c> → <c>[B, E]</c>.
    /// </summary>
    public static Value EncodeImage(ExportGraph net, Value pixels)
    {
        var g = net.G;
        var tokens = ((HpsImageSize / HpsPatch) * (HpsImageSize / HpsPatch)) + 1;
        using var _ = g.Scope("visual");
        var x = net.Conv(pixels, "visual.conv1", 3, HpsVisionWidth, HpsPatch, stride: HpsPatch, bias: false);
        x = g.Reshape(x, net.ShapeOf(net.Vec(net.Dim(x, 0)), net.Vec(net.Dim(x, 1)), net.Ints(-1)));
        x = g.Transpose(x, 0, 2, 1);
        var zeros = net.Filled(net.ShapeOf(net.Vec(net.Dim(x, 0)), net.Ints(1), net.Vec(net.Dim(x, 2))), 0, ElementType.Float);
        var cls = g.Add(net.Normal("visual.class_embedding", 0.5, [HpsVisionWidth]), zeros);
        x = g.Concat(1, cls, x);
        x = g.Add(x, net.Normal("visual.positional_embedding", 0.1, [tokens, HpsVisionWidth]));
        x = net.LayerNorm(x, "visual.ln_pre", HpsVisionWidth, Epsilon);
        x = g.Transpose(x, 1, 0, 2);
        x = Transformer(net, x, "visual.transformer", HpsVisionWidth, HpsVisionHeads, HpsVisionLayers, null);
        x = g.Transpose(x, 1, 0, 2);
        var pooled = net.LayerNorm(g.Gather(x, net.I(0), axis: 1), "visual.ln_post", HpsVisionWidth, Epsilon);
        return g.MatMul(pooled, net.Normal("visual.proj", 1 / Math.Sqrt(HpsVisionWidth), [HpsVisionWidth, HpsEmbedWidth]));
    }

    /// <summary>
    /// <c>encode_text</c> without normalisation: token embedding plus the positional embedding, the causal transformer,
    /// <c>ln_final</c>, the state at the end-of-text token (the largest id) <c>@ text_projection</c> → <c>[B, E]</c>.
    /// </summary>
    public static Value EncodeText(ExportGraph net, Value ids, int vocabSize)
    {
        var g = net.G;
        var x = g.Gather(net.Normal("token_embedding.weight", 0.5, [vocabSize, HpsTextWidth]), ids);
        x = g.Add(x, net.Normal("positional_embedding", 0.1, [MaxTextLength, HpsTextWidth]));
        x = g.Transpose(x, 1, 0, 2);

        var causal = new float[MaxTextLength * MaxTextLength];
        for (var i = 0; i < MaxTextLength; i++)
        {
            for (var j = i + 1; j < MaxTextLength; j++)
            {
                causal[(i * MaxTextLength) + j] = float.NegativeInfinity;
            }
        }

        // MultiheadAttention unsqueezes a 2-D float mask to [1, L, L] before baddbmm.
        var mask = g.Unsqueeze(g.Initializer("attn_mask", causal, MaxTextLength, MaxTextLength), 0);
        x = Transformer(net, x, "transformer", HpsTextWidth, HpsTextHeads, HpsTextLayers, mask);
        x = g.Transpose(x, 1, 0, 2);
        x = net.LayerNorm(x, "ln_final", HpsTextWidth, Epsilon);
        var pooled = ClipTextTower.EosPooling(net, x, ids);
        return g.MatMul(pooled, net.Normal("text_projection", 1 / Math.Sqrt(HpsTextWidth), [HpsTextWidth, HpsEmbedWidth]));
    }

    /// <summary><c>open_clip.Transformer</c>: residual attention blocks on <c>[L, B, W]</c>.</summary>
    private static Value Transformer(ExportGraph net, Value x, string prefix, long width, long heads, int layers, Value? mask)
    {
        var g = net.G;
        using var _ = g.Scope(ExportGraph.Leaf(prefix));
        for (var i = 0; i < layers; i++)
        {
            var name = $"{prefix}.resblocks.{i}";
            using (g.Scope($"resblocks.{i}"))
            {
                x = g.Add(x, net.TorchMultiheadAttention(net.LayerNorm(x, $"{name}.ln_1", width, Epsilon), $"{name}.attn", width, heads, mask));
                Value mlp;
                using (g.Scope("mlp"))
                {
                    var up = net.Linear(net.LayerNorm(x, $"{name}.ln_2", width, Epsilon), $"{name}.mlp.c_fc", width, 4 * width);
                    mlp = net.Linear(net.Gelu(up), $"{name}.mlp.c_proj", 4 * width, width, gain: 0.5);
                }

                x = g.Add(x, mlp);
            }
        }

        return x;
    }
}
