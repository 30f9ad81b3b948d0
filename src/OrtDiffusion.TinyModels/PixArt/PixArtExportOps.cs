using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;

namespace OrtDiffusion.TinyModels.PixArt;

/// <summary>
/// The op patterns torch.onnx.export writes for the modules PixArt-α adds to the zoo's repertoire: LayerNorm
/// without affine, both tanh GELUs, T5's RMS norm and <c>F.scaled_dot_product_attention</c> (torch 2's exporter).
/// </summary>
internal static class PixArtExportOps
{
    /// <summary>
    /// <c>nn.LayerNorm(elementwise_affine=False)</c>: at opset 17 the operator with constant ones and zeros (the
    /// exporter's stand-ins for the missing weight and bias), below it the decomposition without Mul/Add.
    /// </summary>
    public static Value LayerNormNoAffine(this ExportGraph net, Value x, string scope, long width, float epsilon)
    {
        var g = net.G;
        using var _ = g.Scope(scope);
        if (net.Opset >= 17)
        {
            var ones = net.FloatConstant(Enumerable.Repeat(1f, (int)width).ToArray(), width);
            var zeros = net.FloatConstant(new float[width], width);
            return g.LayerNormalization(x, ones, zeros, epsilon);
        }

        var mean = g.ReduceMean(x, [-1]);
        var centred = g.Sub(x, mean);
        var variance = g.ReduceMean(g.Pow(centred, net.F(2f)), [-1]);
        return g.Div(centred, g.Sqrt(g.Add(variance, net.F(epsilon))));
    }

    /// <summary>
    /// <c>nn.GELU(approximate="tanh")</c> as torch's symbolic writes it: the cube as <c>x·(x·x)</c>, then
    /// <c>0.5 · x · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))</c>.
    /// </summary>
    public static Value GeluTanh(this ExportGraph net, Value x)
    {
        var g = net.G;
        var cube = g.Mul(x, g.Mul(x, x));
        var inner = g.Mul(net.F(MathF.Sqrt(2f / MathF.PI)), g.Add(x, g.Mul(net.F(0.044715f), cube)));
        return g.Mul(net.F(0.5f), g.Mul(x, g.Add(net.F(1f), g.Tanh(inner))));
    }

    /// <summary>
    /// transformers' <c>NewGELUActivation</c> (T5-v1.1's <c>gelu_new</c>), traced from its Python expression:
    /// <c>0.5·x · (1 + tanh(√(2/π) · (x + 0.044715·pow(x, 3))))</c>.
    /// </summary>
    public static Value GeluNew(this ExportGraph net, Value x)
    {
        var g = net.G;
        var half = g.Mul(x, net.F(0.5f));
        var cubic = g.Mul(g.Pow(x, net.F(3f)), net.F(0.044715f));
        var inner = g.Mul(g.Add(x, cubic), net.F(MathF.Sqrt(2f / MathF.PI)));
        return g.Mul(half, g.Add(g.Tanh(inner), net.F(1f)));
    }

    /// <summary>
    /// T5's <c>T5LayerNorm</c> (RMS norm, no mean subtraction, no bias): <c>w · (x · rsqrt(mean(x²) + ε))</c>, with
    /// rsqrt exported as <c>Div(1, Sqrt)</c>.
    /// </summary>
    public static Value RmsNorm(this ExportGraph net, Value x, string name, long width, float epsilon)
    {
        var g = net.G;
        using var _ = g.Scope(ExportGraph.Leaf(name));
        var variance = g.ReduceMean(g.Pow(x, net.F(2f)), [-1]);
        var inverse = g.Div(net.F(1f), g.Sqrt(g.Add(variance, net.F(epsilon))));
        var weight = net.Normal($"{name}.weight", 0.05, [width], mean: 1);
        return g.Mul(weight, g.Mul(x, inverse));
    }

    /// <summary>
    /// <c>F.scaled_dot_product_attention(q, k, v, attn_mask)</c> on <c>[B, H, N, d]</c> as torch 2's exporter writes
    /// it: the scale <c>1/√d</c> computed from <c>Shape(q)</c>, its square root multiplied into q and into kᵀ before
    /// the MatMul, the float mask added, Softmax over the last axis, MatMul with v.
    /// </summary>
    public static Value ScaledDotProductAttention(this ExportGraph net, Value q, Value k, Value v, Value? additiveMask)
    {
        var g = net.G;
        var last = g.Slice(g.Shape(q), [-1], [long.MaxValue]);
        var scale = g.Cast(g.Div(g.Constant([1f], 1), g.Sqrt(g.Cast(last, ElementType.Float))), net.Dtype);
        var root = g.Sqrt(scale);
        var keyT = g.Transpose(k, 0, 1, 3, 2);
        var scores = g.MatMul(g.Mul(q, root), g.Mul(keyT, root));
        if (additiveMask is Value mask)
        {
            scores = g.Add(scores, mask);
        }

        return g.MatMul(g.Softmax(scores, -1), v);
    }
}
