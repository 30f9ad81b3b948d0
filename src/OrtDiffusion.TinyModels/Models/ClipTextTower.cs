using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Models;

/// <summary>
/// transformers' <c>CLIPTextTransformer</c> as torch.onnx.export writes it: token and position embeddings by
/// <c>Gather</c> (the position ids sliced to the sequence length from the input's shape), a causal mask of
/// the float minimum above the diagonal (<c>ConstantOfShape → Trilu</c>), pre-LN encoder layers with quick-GELU
/// MLPs, a final LayerNorm, and the EOS pooling (<c>ArgMax</c> of the ids, flat <c>Gather</c>). Weight names follow
/// <c>CLIPTextModel</c>, so the SD text encoder and the CLIP reward's text tower share weights for one seed,
/// as Stable Diffusion v1.5 and CLIP ViT-L/14 do.
/// </summary>
internal static class ClipTextTower
{
    public const string Prefix = "text_model";

    /// <summary>Adds the tower; returns <c>last_hidden_state [B, S, W]</c> and the pooled EOS state <c>[B, W]</c>.</summary>
    public static (Value LastHidden, Value Pooled) Add(ExportGraph net, Value inputIds, int vocabSize)
    {
        var g = net.G;
        var batch = net.Dim(inputIds, 0);
        var ids = g.Reshape(inputIds, net.ShapeOf(net.Ints(-1), net.Vec(net.Dim(inputIds, 1))));
        var length = net.Dim(ids, 1);

        Value hidden;
        using (g.Scope("embeddings"))
        {
            var positionIds = g.Initializer($"{Prefix}.embeddings.position_ids", Enumerable.Range(0, MaxTextLength).Select(i => (long)i).ToArray(), 1, MaxTextLength);
            var positions = g.Slice(positionIds, net.Ints(0), net.Vec(length), net.Ints(1));
            Value tokens;
            using (g.Scope("token_embedding"))
            {
                tokens = g.Gather(net.Normal($"{Prefix}.embeddings.token_embedding.weight", 0.02, [vocabSize, TextWidth]), ids);
            }

            Value place;
            using (g.Scope("position_embedding"))
            {
                place = g.Gather(net.Normal($"{Prefix}.embeddings.position_embedding.weight", 0.01, [MaxTextLength, TextWidth]), positions);
            }

            hidden = g.Add(tokens, place);
        }

        // The causal mask: the float type's minimum strictly above the diagonal, broadcast over the heads.
        var minimum = net.Dtype == ElementType.Float16 ? (double)Half.MinValue : float.MinValue;
        var full = net.Filled(net.ShapeOf(net.Vec(batch), net.Vec(length), net.Vec(length)), minimum, net.Dtype);
        var mask = g.Unsqueeze(g.Trilu(full, upper: true, k: 1), 1);

        using (g.Scope("encoder"))
        {
            for (var layer = 0; layer < TextLayers; layer++)
            {
                hidden = EncoderLayer(net, hidden, $"{Prefix}.encoder.layers.{layer}", mask, TextWidth, TextHeads);
            }
        }

        var last = net.LayerNorm(hidden, $"{Prefix}.final_layer_norm", TextWidth);
        return (last, EosPooling(net, last, ids));
    }

    /// <summary>A CLIP encoder layer: <c>x + attn(LN(x))</c>, then <c>x + fc2(quickgelu(fc1(LN(x))))</c>.</summary>
    public static Value EncoderLayer(ExportGraph net, Value hidden, string name, Value? mask, long width, long heads)
    {
        var g = net.G;
        using var _ = g.Scope(ExportGraph.Leaf(name));
        var attended = net.ClipAttention(net.LayerNorm(hidden, $"{name}.layer_norm1", width), $"{name}.self_attn", width, heads, mask);
        hidden = g.Add(attended, hidden);
        Value mlp;
        using (g.Scope("mlp"))
        {
            var up = net.Linear(net.LayerNorm(hidden, $"{name}.layer_norm2", width), $"{name}.mlp.fc1", width, 4 * width);
            mlp = net.Linear(net.QuickGelu(up), $"{name}.mlp.fc2", 4 * width, width, gain: 0.5);
        }

        return g.Add(mlp, hidden);
    }

    /// <summary>
    /// <c>last_hidden_state[arange(B), input_ids.to(int).argmax(-1)]</c> as traced: the position of the largest id
    /// (EOS is the last vocabulary entry) picks one row of the flattened <c>[B·S, W]</c> states.
    /// </summary>
    public static Value EosPooling(ExportGraph net, Value last, Value ids)
    {
        var g = net.G;
        var rows = g.Op("Range", [net.I(0), g.Cast(net.Dim(last, 0), ElementType.Int64), net.I(1)]);
        var eos = g.Op("ArgMax", [g.Cast(ids, ElementType.Int32)], Attr.Int("axis", -1), Attr.Int("keepdims", 0), Attr.Int("select_last_index", 0));
        var flat = g.Flatten(last, 2);
        var picked = g.Gather(flat, g.Add(eos, g.Mul(rows, net.Dim(last, 1))));
        return g.Reshape(picked, net.ShapeOf(net.Ints(-1), g.Gather(g.Shape(last), net.Ints(2))));
    }
}
