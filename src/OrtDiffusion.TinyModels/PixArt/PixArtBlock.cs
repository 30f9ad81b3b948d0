using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.PixArt.PixArtArchitecture;

namespace OrtDiffusion.TinyModels.PixArt;

/// <summary>
/// diffusers' <c>BasicTransformerBlock</c> with <c>norm_type="ada_norm_single"</c> (PixArt-α): self-attention and
/// feed-forward on adaLN-modulated LayerNorms with gated residuals; cross-attention on the unnormalised tokens with
/// the text key mask.
/// </summary>
internal static class PixArtBlock
{
    /// <summary>Gain of the gated branches' output projections: the blocks perturb the token stream rather than replace it.</summary>
    private const double BranchGain = 0.5;

    /// <summary>Gain of the cross-attention's output projection, which is not gated: classifier-free guidance multiplies the text's effect by 4.5.</summary>
    private const double CrossAttentionGain = 0.25;

    /// <summary>Spread of <c>scale_shift_table</c> times √D (diffusers initialises it with spread 1/√D; the zoo's is smaller, as the identity path needs).</summary>
    public const double TableGain = 0.1;

    /// <summary>
    /// <c>scale_shift_table[None] + timestep.reshape(B, 6, −1)</c> chunked into shift/scale/gate for attention and
    /// MLP (<c>Split</c> on axis 1), then
    /// <c>x += gate_msa · attn1(norm1(x)·(1 + scale_msa) + shift_msa)</c>,
    /// <c>x += attn2(x, text, mask)</c>,
    /// <c>x += gate_mlp · ff(norm2(x)·(1 + scale_mlp) + shift_mlp)</c>.
    /// </summary>
    public static Value Block(ExportGraph net, Value x, Value modulation, Value text, Value maskBias, Value batch, string name)
    {
        var g = net.G;
        using var _ = g.Scope(ExportGraph.Leaf(name));
        var table = net.Normal($"{name}.scale_shift_table", TableGain / Math.Sqrt(Width), [6, Width]);
        var chunks = g.Split(g.Add(table, g.Reshape(modulation, net.ShapeOf(net.Vec(batch), net.Ints(6), net.Ints(-1)))), 1, 1, 1, 1, 1, 1, 1);
        var (shiftMsa, scaleMsa, gateMsa, shiftMlp, scaleMlp, gateMlp) = (chunks[0], chunks[1], chunks[2], chunks[3], chunks[4], chunks[5]);

        var normed = net.LayerNormNoAffine(x, "norm1", Width, NormEpsilon);
        normed = g.Add(g.Mul(normed, g.Add(net.F(1f), scaleMsa)), shiftMsa);
        var attended = Attention(net, normed, null, null, $"{name}.attn1", BranchGain);
        x = g.Add(g.Mul(gateMsa, attended), x);

        var crossed = Attention(net, x, text, maskBias, $"{name}.attn2", CrossAttentionGain);
        x = g.Add(crossed, x);

        normed = net.LayerNormNoAffine(x, "norm2", Width, NormEpsilon);
        normed = g.Add(g.Mul(normed, g.Add(net.F(1f), scaleMlp)), shiftMlp);
        Value fed;
        using (g.Scope("ff"))
        {
            Value hidden;
            using (g.Scope("net.0"))
            {
                hidden = net.GeluTanh(net.Linear(normed, $"{name}.ff.net.0.proj", Width, FeedForwardWidth));
            }

            fed = net.Linear(hidden, $"{name}.ff.net.2", FeedForwardWidth, Width, gain: BranchGain);
        }

        return g.Add(g.Mul(gateMlp, fed), x);
    }

    /// <summary>
    /// diffusers <c>Attention</c> with <c>AttnProcessor2_0</c> (biased q/k/v, heads as <c>[B, H, N, d]</c>,
    /// <c>F.scaled_dot_product_attention</c>, out projection, <c>/ rescale_output_factor</c>). The key mask bias
    /// <c>[B, 1, S]</c> is viewed as <c>[B, 1, 1, S]</c> and broadcast over heads and queries; diffusers repeats it per
    /// head first (<c>repeat_interleave</c>, then a view to <c>[B, H, 1, S]</c>) — the same values.
    /// </summary>
    private static Value Attention(ExportGraph net, Value x, Value? context, Value? maskBias, string name, double outputGain)
    {
        var g = net.G;
        using var _ = g.Scope(ExportGraph.Leaf(name));
        var source = context ?? x;
        var batch = net.Dim(source, 0);
        var q = net.Linear(x, $"{name}.to_q", Width, Width);
        var k = net.Linear(source, $"{name}.to_k", Width, Width);
        var v = net.Linear(source, $"{name}.to_v", Width, Width);
        var headWidth = g.Cast(g.Div(net.Dim(k, 2), net.I(Heads)), ElementType.Int64);
        var split = net.ShapeOf(net.Vec(batch), net.Ints(-1), net.Ints(Heads), net.Vec(headWidth));
        q = g.Transpose(g.Reshape(q, split), 0, 2, 1, 3);
        k = g.Transpose(g.Reshape(k, split), 0, 2, 1, 3);
        v = g.Transpose(g.Reshape(v, split), 0, 2, 1, 3);

        Value? mask = maskBias is Value m ? g.Unsqueeze(m, 1) : null;
        var attended = net.ScaledDotProductAttention(q, k, v, mask);
        attended = g.Reshape(g.Transpose(attended, 0, 2, 1, 3), net.ShapeOf(net.Vec(batch), net.Ints(-1), net.Vec(g.Mul(net.I(Heads), headWidth))));
        var output = net.Linear(attended, $"{name}.to_out.0", Width, Width, gain: outputGain);
        return g.Div(output, net.F(1f));
    }
}
