using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Models;

/// <summary>
/// ImageReward's text side: BLIP's <c>BertModel</c> (<c>med.py</c>, no pooler) in multimodal mode, as
/// torch.onnx.export writes it: word + absolute position embeddings and a LayerNorm, then per layer BERT
/// self-attention over the prompt (padding masked by <c>(1 − mask) · −10000</c>), cross-attention to the image
/// tokens (an all-ones image mask, as <c>ImageReward.score</c> passes) and the GELU feed-forward, each post-norm.
/// </summary>
internal static class BlipTextEncoder
{
    public const string Prefix = "blip.text_encoder";

    /// <summary>
    /// Encodes the prompt against the image tokens; returns <c>last_hidden_state [B, N, width]</c>. Position 0 of the
    /// ids is replaced by <paramref name="encoderTokenId"/> first (<c>input_ids[:, 0] = enc_token_id</c> in
    /// ImageReward, written as a <c>Concat</c> of the token with <c>input_ids[:, 1:]</c>).
    /// </summary>
    public static Value Encode(ExportGraph net, Value inputIds, Value attentionMask, Value imageEmbeds, int embeddingRows, long encoderTokenId)
    {
        var g = net.G;
        var batch = net.Dim(inputIds, 0);
        var enc = g.Expand(g.Constant([encoderTokenId], 1, 1), net.ShapeOf(net.Vec(batch), net.Ints(1)));
        var ids = g.Concat(1, enc, g.Slice(inputIds, [1], [long.MaxValue], [1]));

        using var _ = g.Scope("text_encoder");
        Value hidden;
        using (g.Scope("embeddings"))
        {
            var positionIds = g.Initializer($"{Prefix}.embeddings.position_ids", Enumerable.Range(0, BertMaxPositions).Select(i => (long)i).ToArray(), 1, BertMaxPositions);
            var positions = g.Slice(positionIds, net.Ints(0), net.Vec(net.Dim(ids, 1)), net.Ints(1));
            Value words;
            using (g.Scope("word_embeddings"))
            {
                words = g.Gather(net.Normal($"{Prefix}.embeddings.word_embeddings.weight", 0.5, [embeddingRows, BertWidth]), ids);
            }

            Value place;
            using (g.Scope("position_embeddings"))
            {
                place = g.Gather(net.Normal($"{Prefix}.embeddings.position_embeddings.weight", 0.2, [BertMaxPositions, BertWidth]), positions);
            }

            hidden = net.LayerNorm(g.Add(words, place), $"{Prefix}.embeddings.LayerNorm", BertWidth, ExportGraph.BertEpsilon);
        }

        var selfMask = net.BertExtendedMask(attentionMask);
        var imageAttention = net.Filled(g.Slice(g.Shape(imageEmbeds), [0], [2], [0]), 1, ElementType.Int64);
        var crossMask = net.BertExtendedMask(imageAttention);

        using (g.Scope("encoder"))
        {
            for (var layer = 0; layer < BertLayers; layer++)
            {
                hidden = Layer(net, hidden, imageEmbeds, $"{Prefix}.encoder.layer.{layer}", selfMask, crossMask);
            }
        }

        return hidden;
    }

    /// <summary>BLIP's <c>BertLayer</c> (mode "multimodal"): self-attention, cross-attention, intermediate GELU, output.</summary>
    private static Value Layer(ExportGraph net, Value hidden, Value image, string name, Value selfMask, Value crossMask)
    {
        var g = net.G;
        using var _ = g.Scope(ExportGraph.Leaf(name));
        hidden = net.BertAttention(hidden, null, $"{name}.attention", BertWidth, BertWidth, BertHeads, selfMask);
        hidden = net.BertAttention(hidden, image, $"{name}.crossattention", BertWidth, BlipVisionWidth, BertHeads, crossMask);
        Value intermediate;
        using (g.Scope("intermediate"))
        {
            intermediate = net.Gelu(net.Linear(hidden, $"{name}.intermediate.dense", BertWidth, BertIntermediate));
        }

        using (g.Scope("output"))
        {
            var dense = net.Linear(intermediate, $"{name}.output.dense", BertIntermediate, BertWidth, gain: 0.5);
            return net.LayerNorm(g.Add(dense, hidden), $"{name}.output.LayerNorm", BertWidth, ExportGraph.BertEpsilon);
        }
    }
}
