using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;

namespace OrtDiffusion.TinyModels.Models;

/// <summary>The diffusers building blocks shared by the UNet and the VAE, in their exported op patterns.</summary>
internal static class DiffusersBlocks
{
    /// <summary>
    /// Gain of each ResNet's time projection: large enough that the timestep visibly changes the UNet's output
    /// (a trained UNet depends strongly on it), small enough to keep the block's activations of unit scale.
    /// </summary>
    private const double TimeProjectionGain = 3.0;

    /// <summary>
    /// <c>ResnetBlock2D</c>: GroupNorm, SiLU, 3×3 conv, plus the projected time embedding (SiLU → Gemm →
    /// Unsqueeze → Unsqueeze) when given, GroupNorm, SiLU, 3×3 conv, a 1×1 conv shortcut when the width changes,
    /// then <c>(shortcut + h) / output_scale_factor</c>.
    /// </summary>
    public static Value Resnet(ExportGraph net, Value x, Value? timeEmbedding, long timeWidth, string name, long inChannels, long outChannels, long groups, float epsilon, ExportGraph.PassThrough? shortcutPassThrough = null)
    {
        var g = net.G;
        using var _ = g.Scope(ExportGraph.Leaf(name));
        var h = net.Conv(net.Silu(net.GroupNorm(x, $"{name}.norm1", inChannels, groups, epsilon)), $"{name}.conv1", inChannels, outChannels, 3, pad: 1);
        if (timeEmbedding is Value t)
        {
            var projected = net.Gemm(net.Silu(t), $"{name}.time_emb_proj", timeWidth, outChannels, gain: TimeProjectionGain);
            h = g.Add(h, g.Unsqueeze(g.Unsqueeze(projected, 2), 3));
        }

        h = net.Conv(net.Silu(net.GroupNorm(h, $"{name}.norm2", outChannels, groups, epsilon)), $"{name}.conv2", outChannels, outChannels, 3, pad: 1, gain: 0.5);
        var shortcut = inChannels == outChannels ? x : net.Conv(x, $"{name}.conv_shortcut", inChannels, outChannels, 1, passThrough: shortcutPassThrough);
        return g.Div(g.Add(shortcut, h), net.F(1f));
    }

    /// <summary><c>Upsample2D</c>: nearest <c>Resize</c> by scales [1, 1, 2, 2] (asymmetric, floor), then a 3×3 conv.</summary>
    public static Value Upsample(ExportGraph net, Value x, string name, long channels)
    {
        using var _ = net.G.Scope(ExportGraph.Leaf(name));
        var up = net.G.Resize(x, [1f, 1f, 2f, 2f]);
        return net.Conv(up, $"{name}.conv", channels, channels, 3, pad: 1);
    }

    /// <summary>
    /// The VAE's mid-block attention (diffusers <c>Attention</c> with a group norm, one head, bias, residual and an
    /// upcast softmax) on a <c>[B, C, H, W]</c> map: viewed as <c>[B, H·W, C]</c>, normalised in the <c>[B, C, H·W]</c>
    /// view, attended, viewed back, added to the input and divided by <c>rescale_output_factor</c>.
    /// </summary>
    public static Value VaeAttention(ExportGraph net, Value x, string name, long channels, long groups)
    {
        var g = net.G;
        using var _ = g.Scope(ExportGraph.Leaf(name));
        var batch = net.Dim(x, 0);
        var width = net.Dim(x, 1);
        var height = net.Dim(x, 2);
        var breadth = net.Dim(x, 3);
        var tokens = g.Transpose(g.Reshape(x, net.ShapeOf(net.Vec(batch), net.Vec(width), net.Vec(g.Mul(height, breadth)))), 0, 2, 1);
        var normed = g.Transpose(net.GroupNorm(g.Transpose(tokens, 0, 2, 1), $"{name}.group_norm", channels, groups, 1e-6f, rank: 3), 0, 2, 1);
        var attended = net.DiffusersAttentionCore(normed, null, name, channels, channels, heads: 1, qkvBias: true, upcastSoftmax: true);
        var map = g.Reshape(g.Transpose(attended, 0, 2, 1), net.ShapeOf(net.Vec(batch), net.Vec(width), net.Vec(height), net.Vec(breadth)));
        return g.Div(g.Add(map, x), net.F(1f));
    }
}
