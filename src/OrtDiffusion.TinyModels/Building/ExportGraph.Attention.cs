using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;

namespace OrtDiffusion.TinyModels.Building;

// The two attention layouts the real exports contain: diffusers' Attention with the classic AttnProcessor
// (heads folded into the batch, scores by baddbmm with beta 0) and transformers' CLIPAttention.
internal sealed partial class ExportGraph
{
    /// <summary>
    /// diffusers <c>Attention</c> + <c>AttnProcessor</c> on <c>[B, N, dim]</c>: q/k/v projections,
    /// <c>head_to_batch_dim</c>, scores <c>MatMul(q, kᵀ)·scale + 0·ConstantOfShape</c> (torch's
    /// <c>baddbmm(empty, q, kᵀ, beta=0, alpha=scale)</c>), Softmax over the last axis (in float32 when
    /// <paramref name="upcastSoftmax"/>, as the VAE does), <c>bmm</c> with v, <c>batch_to_head_dim</c>, output projection.
    /// </summary>
    public Value DiffusersAttention(Value x, Value? context, string name, long dim, long contextDim, long heads, bool qkvBias, bool upcastSoftmax)
    {
        using var _ = G.Scope(Leaf(name));
        return DiffusersAttentionCore(x, context, name, dim, contextDim, heads, qkvBias, upcastSoftmax);
    }

    /// <summary><see cref="DiffusersAttention"/> inside a scope the caller has opened (the VAE wraps it in more nodes).</summary>
    public Value DiffusersAttentionCore(Value x, Value? context, string name, long dim, long contextDim, long heads, bool qkvBias, bool upcastSoftmax)
    {
        var source = context ?? x;
        var q = HeadToBatch(Linear(x, $"{name}.to_q", dim, dim, qkvBias), heads);
        var k = HeadToBatch(Linear(source, $"{name}.to_k", contextDim, dim, qkvBias), heads);
        var v = HeadToBatch(Linear(source, $"{name}.to_v", contextDim, dim, qkvBias), heads);

        var empty = Filled(ShapeOf(Vec(Dim(q, 0)), Vec(Dim(q, 1)), Vec(Dim(k, 1))), 0, Dtype);
        var scores = G.Mul(G.MatMul(q, G.Transpose(k, 0, 2, 1)), F((float)Math.Pow(dim / heads, -0.5)));
        scores = G.Add(scores, G.Mul(empty, F(0f)));
        Value probabilities;
        if (upcastSoftmax)
        {
            probabilities = G.Cast(G.Softmax(G.Cast(scores, ElementType.Float), -1), Dtype);
        }
        else
        {
            probabilities = G.Softmax(scores, -1);
        }

        var attended = BatchToHead(G.MatMul(probabilities, v), heads);
        return Linear(attended, $"{name}.to_out.0", dim, dim);
    }

    /// <summary>
    /// transformers' <c>CLIPAttention</c> on <c>[B, N, dim]</c>: <c>q = (xWq + b)·scale</c>, k and v viewed as
    /// <c>[B, -1, H, d]</c> and transposed, all three flattened to <c>[B·H, -1, d]</c>, scores by <c>bmm</c>, an optional
    /// additive mask applied in the <c>[B, H, N, N]</c> view, Softmax, <c>bmm</c>, back to <c>[B, N, dim]</c>, out projection.
    /// </summary>
    public Value ClipAttention(Value x, string name, long dim, long heads, Value? additiveMask)
    {
        using var _ = G.Scope(Leaf(name));
        var headDim = dim / heads;
        var batch = Dim(x, 0);
        var length = Dim(x, 1);
        var q = G.Mul(Linear(x, $"{name}.q_proj", dim, dim), F((float)Math.Pow(headDim, -0.5)));
        var k = G.Transpose(G.Reshape(Linear(x, $"{name}.k_proj", dim, dim), ShapeOf(Vec(batch), Ints(-1), Ints(heads), Ints(headDim))), 0, 2, 1, 3);
        var v = G.Transpose(G.Reshape(Linear(x, $"{name}.v_proj", dim, dim), ShapeOf(Vec(batch), Ints(-1), Ints(heads), Ints(headDim))), 0, 2, 1, 3);
        q = G.Transpose(G.Reshape(q, ShapeOf(Vec(batch), Vec(length), Ints(heads), Ints(headDim))), 0, 2, 1, 3);

        var batchHeads = Vec(G.Mul(batch, I(heads)));
        var flat = ShapeOf(batchHeads, Ints(-1), Ints(headDim));
        q = G.Reshape(q, flat);
        k = G.Reshape(k, flat);
        v = G.Reshape(v, flat);

        var scores = G.MatMul(q, G.Transpose(k, 0, 2, 1));
        if (additiveMask is Value mask)
        {
            var sourceLength = Vec(Dim(k, 1));
            scores = G.Add(G.Reshape(scores, ShapeOf(Vec(batch), Ints(heads), Vec(length), sourceLength)), mask);
            scores = G.Reshape(scores, ShapeOf(batchHeads, Vec(length), sourceLength));
        }

        var attended = G.MatMul(G.Softmax(scores, -1), v);
        attended = G.Transpose(G.Reshape(attended, ShapeOf(Vec(batch), Ints(heads), Vec(length), Ints(headDim))), 0, 2, 1, 3);
        attended = G.Reshape(attended, ShapeOf(Vec(batch), Vec(length), Ints(dim)));
        return Linear(attended, $"{name}.out_proj", dim, dim);
    }

    /// <summary><c>[B, N, H·d] → [B·H, N, d]</c> as diffusers' <c>head_to_batch_dim</c> traces.</summary>
    private Value HeadToBatch(Value t, long heads)
    {
        var batch = Dim(t, 0);
        var length = Dim(t, 1);
        var headDim = G.Cast(G.Div(Dim(t, 2), I(heads)), ElementType.Int64);
        var split = G.Reshape(t, ShapeOf(Vec(batch), Vec(length), Ints(heads), Vec(headDim)));
        var perm = G.Transpose(split, 0, 2, 1, 3);
        return G.Reshape(perm, ShapeOf(Vec(G.Mul(batch, I(heads))), Vec(length), Vec(headDim)));
    }

    /// <summary><c>[B·H, N, d] → [B, N, H·d]</c> as diffusers' <c>batch_to_head_dim</c> traces.</summary>
    private Value BatchToHead(Value t, long heads)
    {
        var batch = G.Cast(G.Div(Dim(t, 0), I(heads)), ElementType.Int64);
        var length = Dim(t, 1);
        var headDim = Dim(t, 2);
        var split = G.Reshape(t, ShapeOf(Vec(batch), Ints(heads), Vec(length), Vec(headDim)));
        var perm = G.Transpose(split, 0, 2, 1, 3);
        return G.Reshape(perm, ShapeOf(Vec(batch), Vec(length), Vec(G.Mul(headDim, I(heads)))));
    }
}
