using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;

namespace OrtDiffusion.TinyModels.Building;

// The attention layouts of the ImageReward and HPSv2 exports: timm's ViT attention (BLIP's image tower),
// BERT self- and cross-attention (BLIP's text encoder) and torch's nn.MultiheadAttention (OpenCLIP), plus the two
// ways torch writes an L2 normalisation.
internal sealed partial class ExportGraph
{
    /// <summary>Variance epsilon of BERT's LayerNorms.</summary>
    public const float BertEpsilon = 1e-12f;

    /// <summary>
    /// timm's <c>Attention</c> on <c>[B, N, C]</c>: one <c>qkv</c> projection, <c>reshape(B, N, 3, H, C/H)</c>,
    /// <c>permute(2, 0, 3, 1, 4)</c>, q/k/v by <c>Gather</c> on axis 0, scores <c>(q @ kᵀ) · scale</c>, Softmax,
    /// <c>(attn @ v).transpose(1, 2).reshape(B, N, C)</c>, then the <c>proj</c> projection.
    /// </summary>
    public Value TimmAttention(Value x, string name, long dim, long heads)
    {
        using var _ = G.Scope(Leaf(name));
        var batch = Vec(Dim(x, 0));
        var tokens = Vec(Dim(x, 1));
        var qkv = Linear(x, $"{name}.qkv", dim, 3 * dim);
        qkv = G.Transpose(G.Reshape(qkv, ShapeOf(batch, tokens, Ints(3), Ints(heads), Ints(dim / heads))), 2, 0, 3, 1, 4);
        var q = G.Gather(qkv, I(0));
        var k = G.Gather(qkv, I(1));
        var v = G.Gather(qkv, I(2));
        var scores = G.Mul(G.MatMul(q, G.Transpose(k, 0, 1, 3, 2)), F((float)Math.Pow(dim / heads, -0.5)));
        var attended = G.Transpose(G.MatMul(G.Softmax(scores, -1), v), 0, 2, 1, 3);
        attended = G.Reshape(attended, ShapeOf(batch, tokens, Ints(dim)));
        return Linear(attended, $"{name}.proj", dim, dim);
    }

    /// <summary>
    /// BERT's <c>BertAttention</c> (self-attention, or cross-attention when <paramref name="context"/> is given, as in
    /// BLIP's text encoder): query/key/value projections, <c>transpose_for_scores</c> (<c>view(B, N, H, d)</c>,
    /// <c>permute(0, 2, 1, 3)</c>), <c>matmul(q, kᵀ) / √d + mask</c>, Softmax, context back to <c>[B, N, W]</c>, then
    /// <c>BertSelfOutput</c>: dense and <c>LayerNorm(dense + input)</c>.
    /// </summary>
    /// <param name="hidden">The text states <c>[B, N, width]</c>.</param>
    /// <param name="context">The image states <c>[B, M, contextWidth]</c> for cross-attention, or null.</param>
    /// <param name="name">Module path (<c>….attention</c> or <c>….crossattention</c>).</param>
    /// <param name="width">Text width.</param>
    /// <param name="contextWidth">Width of <paramref name="context"/> (the key/value input width).</param>
    /// <param name="heads">Heads.</param>
    /// <param name="additiveMask">The extended mask <c>(1 − mask) · −10000</c>, <c>[B, 1, 1, keys]</c>.</param>
    public Value BertAttention(Value hidden, Value? context, string name, long width, long contextWidth, long heads, Value additiveMask)
    {
        using var _ = G.Scope(Leaf(name));
        Value attended;
        using (G.Scope("self"))
        {
            var source = context ?? hidden;
            var q = SplitHeads(Linear(hidden, $"{name}.self.query", width, width), heads, width / heads);
            var k = SplitHeads(Linear(source, $"{name}.self.key", contextWidth, width), heads, width / heads);
            var v = SplitHeads(Linear(source, $"{name}.self.value", contextWidth, width), heads, width / heads);
            var scores = G.Div(G.MatMul(q, G.Transpose(k, 0, 1, 3, 2)), F(MathF.Sqrt(width / heads)));
            scores = G.Add(scores, additiveMask);
            var merged = G.Transpose(G.MatMul(G.Softmax(scores, -1), v), 0, 2, 1, 3);
            attended = G.Reshape(merged, ShapeOf(Vec(Dim(merged, 0)), Vec(Dim(merged, 1)), Ints(width)));
        }

        using (G.Scope("output"))
        {
            var dense = Linear(attended, $"{name}.output.dense", width, width, gain: 0.5);
            return LayerNorm(G.Add(dense, hidden), $"{name}.output.LayerNorm", width, BertEpsilon);
        }
    }

    /// <summary>
    /// transformers' extended attention mask for BERT: <c>mask[:, None, None, :]</c> cast to float, then
    /// <c>(1 − mask) · −10000</c>, added to the scores so padded keys get almost no weight.
    /// </summary>
    public Value BertExtendedMask(Value mask)
    {
        var expanded = G.Cast(G.Unsqueeze(G.Unsqueeze(mask, 1), 2), Dtype);
        return G.Mul(G.Sub(F(1f), expanded), F(-10000f));
    }

    /// <summary>
    /// torch 1.13's <c>nn.MultiheadAttention</c> self-attention on a sequence-first <c>[L, B, E]</c> input, as
    /// <c>F.multi_head_attention_forward</c> traces: the packed <c>in_proj</c> (<c>MatMul + Add</c>) chunked by
    /// <c>Split</c>, each of q/k/v viewed as <c>[L, B·H, d]</c> and transposed, <c>q / √d</c>, scores by <c>bmm</c> (plus the
    /// float mask, <c>baddbmm</c>), Softmax, <c>bmm</c> with v, back to <c>[L·B, E]</c>, <c>out_proj</c> as a <c>Gemm</c>, and
    /// viewed as <c>[L, B, E]</c>.
    /// </summary>
    public Value TorchMultiheadAttention(Value x, string name, long dim, long heads, Value? mask)
    {
        using var _ = G.Scope(Leaf(name));
        var headDim = dim / heads;
        var length = Vec(Dim(x, 0));
        var batch = Dim(x, 1);
        var weight = Normal($"{name}.in_proj_weight.T", 1 / Math.Sqrt(dim), [dim, 3 * dim]);
        var packed = G.Add(G.MatMul(x, weight), Normal($"{name}.in_proj_bias", BiasStd, [3 * dim]));
        var parts = G.Split(packed, -1, dim, dim, dim);
        var batchHeads = Vec(G.Mul(batch, I(heads)));
        Value Heads(Value t) => G.Transpose(G.Reshape(t, ShapeOf(length, batchHeads, Ints(headDim))), 1, 0, 2);
        var q = G.Div(Heads(parts[0]), F(MathF.Sqrt(headDim)));
        var k = Heads(parts[1]);
        var v = Heads(parts[2]);
        var scores = G.MatMul(q, G.Transpose(k, 0, 2, 1));
        if (mask is Value m)
        {
            scores = G.Add(m, scores);
        }

        var attended = G.MatMul(G.Softmax(scores, -1), v);
        attended = G.Reshape(G.Transpose(attended, 1, 0, 2), ShapeOf(Vec(G.Mul(Dim(x, 0), batch)), Ints(dim)));
        var projected = Gemm(attended, $"{name}.out_proj", dim, dim, gain: 0.5);
        return G.Reshape(projected, ShapeOf(length, Vec(batch), Ints(dim)));
    }

    /// <summary><c>x / x.norm(dim=-1, keepdim=True)</c> as torch 1.13 exports it: <c>ReduceL2</c>, <c>Div</c>.</summary>
    public Value DivideByNorm(Value x) => G.Div(x, ReduceL2(x));

    /// <summary>
    /// <c>F.normalize(x, dim=-1)</c> as torch exports it: <c>ReduceL2</c>, <c>Clip(min = 1e-12)</c>,
    /// <c>Expand</c> to the input's shape, <c>Div</c>.
    /// </summary>
    public Value FNormalize(Value x) => G.Div(x, G.Expand(G.Clip(ReduceL2(x), 1e-12f, null), G.Shape(x)));

    private Value ReduceL2(Value x) => G.Op("ReduceL2", [x], Attr.Ints("axes", [-1]), Attr.Int("keepdims", 1));

    /// <summary>BERT's <c>transpose_for_scores</c>: <c>[B, N, H·d] → view(B, N, H, d) → permute(0, 2, 1, 3)</c>.</summary>
    private Value SplitHeads(Value t, long heads, long headDim) =>
        G.Transpose(G.Reshape(t, ShapeOf(Vec(Dim(t, 0)), Vec(Dim(t, 1)), Ints(heads), Ints(headDim))), 0, 2, 1, 3);
}
