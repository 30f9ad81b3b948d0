using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.PixArt.PixArtArchitecture;

namespace OrtDiffusion.TinyModels.PixArt;

/// <summary>
/// <c>text_encoder/model.onnx</c>: transformers' <c>T5EncoderModel</c> (T5-v1.1: gated-GELU feed-forward, no biases,
/// RMS norms) as torch.onnx.export writes it. <c>input_ids</c> and <c>attention_mask</c> (int64
/// <c>[batch_size, sequence_length]</c>) → <c>last_hidden_state [batch_size, sequence_length, 32]</c>.
/// </summary>
/// <remarks>
/// Weights follow Hugging Face's T5 initialisation (factor 1): embedding N(0, 1), q N(0, 1/(d_model·d_kv)) — T5
/// folds the attention scale into q and does not scale scores — k, v and wi N(0, 1/d_model), o N(0, 1/inner),
/// wo N(0, 1/d_ff), relative bias N(0, 1/d_model) scaled up so positions visibly matter.
/// </remarks>
internal static class T5EncoderModel
{
    private const double RelativeBiasStd = 0.5;

    public static OnnxModel Build(PixArtZooOptions options, int vocabularyRows)
    {
        var net = new ExportGraph("text_encoder", options.Opset, options.Seed, ElementType.Float);
        var g = net.G;
        var inputIds = g.Input("input_ids", ElementType.Int64, "batch_size", "sequence_length");
        var attentionMask = g.Input("attention_mask", ElementType.Int64, "batch_size", "sequence_length");

        // input_ids.view(-1, input_shape[-1]), then the shared embedding.
        var ids = g.Reshape(inputIds, net.ShapeOf(net.Ints(-1), net.Vec(net.Dim(inputIds, 1))));
        Value hidden;
        using (g.Scope("shared"))
        {
            hidden = g.Gather(net.Normal("shared.weight", 1.0, [vocabularyRows, TextWidth]), ids);
        }

        using (g.Scope("encoder"))
        {
            // get_extended_attention_mask: mask[:, None, None, :], to float, (1 − m) · finfo.min.
            var extended = g.Cast(g.Unsqueeze(attentionMask, 1, 2), ElementType.Float);
            var maskBias = g.Mul(g.Sub(net.F(1f), extended), net.F(float.MinValue));

            Value? positionBias = null;
            for (var i = 0; i < TextLayers; i++)
            {
                var name = $"encoder.block.{i}";
                using var _ = g.Scope($"block.{i}");
                hidden = SelfAttentionLayer(net, hidden, $"{name}.layer.0", maskBias, ref positionBias);
                hidden = FeedForwardLayer(net, hidden, $"{name}.layer.1");
            }

            hidden = net.RmsNorm(hidden, "encoder.final_layer_norm", TextWidth, TextNormEpsilon);
        }

        g.Output(hidden, "last_hidden_state", ElementType.Float, "batch_size", "sequence_length", TextWidth);
        return g.ToModel(TinyZoo.Producer);
    }

    /// <summary>
    /// <c>T5LayerSelfAttention</c>: <c>x + o(attention(norm(x)))</c>. The first layer computes the position bias (plus
    /// the mask) and every later layer reuses it, as <c>T5Stack</c> passes it on.
    /// </summary>
    private static Value SelfAttentionLayer(ExportGraph net, Value hidden, string name, Value maskBias, ref Value? positionBias)
    {
        var g = net.G;
        using var _ = g.Scope("layer.0");
        var normed = net.RmsNorm(hidden, $"{name}.layer_norm", TextWidth, TextNormEpsilon);
        var attention = $"{name}.SelfAttention";
        using (g.Scope("SelfAttention"))
        {
            var batch = net.Dim(normed, 0);
            var length = net.Dim(normed, 1);
            var heads = net.ShapeOf(net.Vec(batch), net.Ints(-1), net.Ints(TextHeads), net.Ints(TextHeadWidth));
            var q = g.Transpose(g.Reshape(net.Linear(normed, $"{attention}.q", TextWidth, TextInner, bias: false, gain: 1 / Math.Sqrt(TextHeadWidth)), heads), 0, 2, 1, 3);
            var k = g.Transpose(g.Reshape(net.Linear(normed, $"{attention}.k", TextWidth, TextInner, bias: false), heads), 0, 2, 1, 3);
            var v = g.Transpose(g.Reshape(net.Linear(normed, $"{attention}.v", TextWidth, TextInner, bias: false), heads), 0, 2, 1, 3);
            var scores = g.MatMul(q, g.Transpose(k, 0, 1, 3, 2));

            positionBias ??= g.Add(ComputeBias(net, attention, length), maskBias);
            scores = g.Add(scores, positionBias.Value);

            var attended = g.MatMul(g.Softmax(scores, -1), v);
            attended = g.Reshape(g.Transpose(attended, 0, 2, 1, 3), net.ShapeOf(net.Vec(batch), net.Ints(-1), net.Ints(TextInner)));
            var output = net.Linear(attended, $"{attention}.o", TextInner, TextWidth, bias: false);
            return g.Add(hidden, output);
        }
    }

    /// <summary>
    /// <c>T5Attention.compute_bias</c>: relative positions <c>memory − context</c> from two <c>Range</c>s, bucketed in
    /// the graph as <c>_relative_position_bucket</c> does (bidirectional: half the buckets per direction, exact below
    /// 8, logarithmic up to 128, clamped by <c>Min</c>), looked up in the bias table by <c>Gather</c>, permuted to
    /// <c>[1, heads, query, key]</c>.
    /// </summary>
    private static Value ComputeBias(ExportGraph net, string attention, Value length)
    {
        var g = net.G;
        const int buckets = RelativeBuckets / 2;
        const int maxExact = buckets / 2;
        var context = g.Unsqueeze(g.Op("Range", [net.I(0), length, net.I(1)]), 1);
        var memory = g.Unsqueeze(g.Op("Range", [net.I(0), length, net.I(1)]), 0);
        var relative = g.Sub(memory, context);

        var direction = g.Mul(g.Cast(g.Op("Greater", [relative, net.I(0)]), ElementType.Int64), net.I(buckets));
        var distance = g.Abs(relative);
        var isSmall = g.Op("Less", [distance, net.I(maxExact)]);
        var logarithmic = g.Div(g.Log(g.Div(g.Cast(distance, ElementType.Float), net.F(maxExact))), net.F(MathF.Log((float)RelativeMaxDistance / maxExact)));
        var large = g.Add(g.Cast(g.Mul(logarithmic, net.F(buckets - maxExact)), ElementType.Int64), net.I(maxExact));
        large = g.Op("Min", [large, net.Filled(g.Shape(large), buckets - 1, ElementType.Int64)]);
        var bucket = g.Add(direction, g.Where(isSmall, distance, large));

        Value values;
        using (g.Scope("relative_attention_bias"))
        {
            values = g.Gather(net.Normal($"{attention}.relative_attention_bias.weight", RelativeBiasStd, [RelativeBuckets, TextHeads]), bucket);
        }

        return g.Unsqueeze(g.Transpose(values, 2, 0, 1), 0);
    }

    /// <summary><c>T5LayerFF</c> with <c>T5DenseGatedActDense</c>: <c>x + wo(gelu_new(wi_0(n)) · wi_1(n))</c>, <c>n = norm(x)</c>.</summary>
    private static Value FeedForwardLayer(ExportGraph net, Value hidden, string name)
    {
        var g = net.G;
        using var _ = g.Scope("layer.1");
        var normed = net.RmsNorm(hidden, $"{name}.layer_norm", TextWidth, TextNormEpsilon);
        Value output;
        using (g.Scope("DenseReluDense"))
        {
            var dense = $"{name}.DenseReluDense";
            var gate = net.GeluNew(net.Linear(normed, $"{dense}.wi_0", TextWidth, TextFeedForward, bias: false));
            var linear = net.Linear(normed, $"{dense}.wi_1", TextWidth, TextFeedForward, bias: false);
            output = net.Linear(g.Mul(gate, linear), $"{dense}.wo", TextFeedForward, TextWidth, bias: false);
        }

        return g.Add(hidden, output);
    }
}
