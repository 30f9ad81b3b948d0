using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Models;

/// <summary>
/// <c>unet/model.onnx</c>: a two-level diffusers <c>UNet2DConditionModel</c> (CrossAttnDownBlock2D + DownBlock2D,
/// UNetMidBlock2DCrossAttn, UpBlock2D + CrossAttnUpBlock2D) taking <c>sample [batch_size, 4, height, width]</c>,
/// <c>timestep</c> (see <see cref="UNetTimestepKind"/>) and <c>encoder_hidden_states [batch_size, sequence_length, 32]</c>
/// to <c>out_sample [batch_size, 4, height, width]</c>. Height and width must be multiples of 2.
/// </summary>
internal static class UNetModel
{
    private const float ResnetEpsilon = 1e-5f;
    private const float TransformerNormEpsilon = 1e-6f;

    /// <summary>Gain of <c>conv_out</c>'s random part.</summary>
    private const double OutputGain = 0.25;

    /// <summary>
    /// A trained UNet's noise prediction follows its input closely at every noise level; a random one does not, and
    /// sampling with it drifts to latents far larger than real ones. So the zoo's UNet carries the latent through an
    /// identity path in its weights (conv_in → the outermost skip → the last ResNet's shortcut → conv_out), and
    /// 50-step sampling keeps latents of about unit spread. The gains are those of each copy.
    /// </summary>
    private static readonly ExportGraph.PassThrough InputCopy = new(0, LatentChannels, 3.0);
    private const double OutputCopyGain = 1.0;

    /// <summary>
    /// conv_norm_out's β is raised by this on the copied channels, where SiLU(z + 3) is almost linear in z
    /// (correlation 0.9996 for z ~ N(0, 1)); conv_out's bias removes the mean again: E[SiLU(z + 3)] = 2.85185
    /// (numerical integral).
    /// </summary>
    private const double SiluShift = 3.0;
    private const double SiluMeanOfShiftedNormal = 2.8518502900420226;

    public static OnnxModel Build(TinyZooOptions options)
    {
        var net = new ExportGraph("unet", options.Opset, options.Seed, options.ModelType);
        var g = net.G;
        var sample = g.Input("sample", net.Dtype, "batch_size", LatentChannels, "height", "width");
        var timestep = options.Timestep switch
        {
            UNetTimestepKind.Int64PerSample => g.Input("timestep", ElementType.Int64, "steps"),
            UNetTimestepKind.FloatPerSample => g.Input("timestep", net.Dtype, "steps"),
            _ => g.Input("timestep", net.Dtype),
        };
        var context = g.Input("encoder_hidden_states", net.Dtype, "batch_size", "sequence_length", TextWidth);

        var embedding = TimeEmbedding(net, sample, timestep, options.Timestep == UNetTimestepKind.FloatScalar);
        var x = net.Conv(sample, "conv_in", LatentChannels, UNetChannels[0], 3, pad: 1, passThrough: InputCopy);
        var skips = new Stack<(Value Value, long Channels)>();
        skips.Push((x, UNetChannels[0]));

        var levels = UNetChannels.Length;
        long channels = UNetChannels[0];
        for (var level = 0; level < levels; level++)
        {
            var name = $"down_blocks.{level}";
            var last = level == levels - 1;
            long outChannels = UNetChannels[level];
            using var _ = g.Scope(name);
            for (var i = 0; i < UNetLayersPerBlock; i++)
            {
                x = Resnet(net, x, embedding, $"{name}.resnets.{i}", channels, outChannels);
                channels = outChannels;
                if (!last)
                {
                    x = Transformer(net, x, context, $"{name}.attentions.{i}", channels);
                }

                skips.Push((x, channels));
            }

            if (!last)
            {
                using (g.Scope("downsamplers.0"))
                {
                    x = net.Conv(x, $"{name}.downsamplers.0.conv", channels, channels, 3, stride: 2, pad: 1);
                }

                skips.Push((x, channels));
            }
        }

        using (g.Scope("mid_block"))
        {
            x = Resnet(net, x, embedding, "mid_block.resnets.0", channels, channels);
            x = Transformer(net, x, context, "mid_block.attentions.0", channels);
            x = Resnet(net, x, embedding, "mid_block.resnets.1", channels, channels);
        }

        for (var block = 0; block < levels; block++)
        {
            var name = $"up_blocks.{block}";
            var level = levels - 1 - block;
            long outChannels = UNetChannels[level];
            using var _ = g.Scope(name);
            for (var i = 0; i <= UNetLayersPerBlock; i++)
            {
                var (skip, skipChannels) = skips.Pop();
                x = g.Concat(1, x, skip);

                // The last skip is conv_in's output: its shortcut continues the identity path.
                ExportGraph.PassThrough? copy = skips.Count == 0 ? InputCopy with { From = channels, Gain = 1.0 } : null;
                x = Resnet(net, x, embedding, $"{name}.resnets.{i}", channels + skipChannels, outChannels, copy);
                channels = outChannels;
                if (level != levels - 1)
                {
                    x = Transformer(net, x, context, $"{name}.attentions.{i}", channels);
                }
            }

            if (level != 0)
            {
                x = DiffusersBlocks.Upsample(net, x, $"{name}.upsamplers.0", channels);
            }
        }

        x = net.Silu(net.GroupNorm(x, "conv_norm_out", channels, UNetGroups, ResnetEpsilon, biasShift: (LatentChannels, SiluShift)));
        x = net.Conv(x, "conv_out", channels, LatentChannels, 3, pad: 1, gain: OutputGain, passThrough: InputCopy with { Gain = OutputCopyGain, BiasOffset = -OutputCopyGain * SiluMeanOfShiftedNormal });
        g.Output(x, "out_sample", net.Dtype, "batch_size", LatentChannels, "height", "width");
        return g.ToModel(TinyZoo.Producer);
    }

    /// <summary>
    /// <c>Timesteps(flip_sin_to_cos=True, freq_shift=0)</c> then <c>TimestepEmbedding</c>: the timestep broadcast to
    /// the batch (<c>Expand</c>; a 0-d timestep is unsqueezed first), times <c>Exp</c> of the log-spaced frequencies in
    /// float32, <c>[cos, sin]</c> (Sin/Cos/Concat, then the halves swapped by Slice/Concat), cast to the model type,
    /// then <c>Gemm → SiLU → Gemm</c>.
    /// </summary>
    private static Value TimeEmbedding(ExportGraph net, Value sample, Value timestep, bool scalar)
    {
        var g = net.G;
        const int half = 16;
        Value sinusoid;
        using (g.Scope("time_proj"))
        {
            var t = scalar ? g.Unsqueeze(timestep, 0) : timestep;
            t = g.Expand(t, net.Vec(net.Dim(sample, 0)));
            var exponent = Enumerable.Range(0, half).Select(i => (float)(-Math.Log(10000) * i / half)).ToArray();
            var frequencies = g.Exp(g.Constant(exponent, half));
            var arguments = g.Mul(g.Cast(g.Unsqueeze(t, 1), ElementType.Float), g.Unsqueeze(frequencies, 0));
            var sinCos = g.Concat(-1, g.Sin(arguments), g.Cos(arguments));
            var flipped = g.Concat(-1, g.Slice(sinCos, [half], [long.MaxValue], [-1], [1]), g.Slice(sinCos, [0], [half], [-1], [1]));
            sinusoid = g.Cast(flipped, net.Dtype);
        }

        using (g.Scope("time_embedding"))
        {
            var hidden = net.Silu(net.Gemm(sinusoid, "time_embedding.linear_1", 2 * half, UNetTimeEmbedWidth));
            return net.Gemm(hidden, "time_embedding.linear_2", UNetTimeEmbedWidth, UNetTimeEmbedWidth);
        }
    }

    private static Value Resnet(ExportGraph net, Value x, Value embedding, string name, long inChannels, long outChannels, ExportGraph.PassThrough? shortcutCopy = null) =>
        DiffusersBlocks.Resnet(net, x, embedding, UNetTimeEmbedWidth, name, inChannels, outChannels, UNetGroups, ResnetEpsilon, shortcutCopy);

    /// <summary>
    /// <c>Transformer2DModel</c> (conv projections, as SD v1.5): GroupNorm, 1×1 <c>proj_in</c>, to tokens
    /// (<c>Transpose → Reshape [B, H·W, C]</c>), one <c>BasicTransformerBlock</c>, back to a map, 1×1 <c>proj_out</c>, residual.
    /// </summary>
    private static Value Transformer(ExportGraph net, Value x, Value context, string name, long channels)
    {
        var g = net.G;
        using var _ = g.Scope(ExportGraph.Leaf(name));
        var batch = net.Dim(x, 0);
        var height = net.Dim(x, 2);
        var width = net.Dim(x, 3);
        var h = net.GroupNorm(x, $"{name}.norm", channels, UNetGroups, TransformerNormEpsilon);
        h = net.Conv(h, $"{name}.proj_in", channels, channels, 1);
        h = g.Reshape(g.Transpose(h, 0, 2, 3, 1), net.ShapeOf(net.Vec(batch), net.Vec(g.Mul(height, width)), net.Ints(channels)));
        h = TransformerBlock(net, h, context, $"{name}.transformer_blocks.0", channels);
        h = g.Transpose(g.Reshape(h, net.ShapeOf(net.Vec(batch), net.Vec(height), net.Vec(width), net.Ints(channels))), 0, 3, 1, 2);
        h = net.Conv(h, $"{name}.proj_out", channels, channels, 1, gain: 0.5);
        return g.Add(h, x);
    }

    /// <summary>Self-attention, cross-attention on the text, GEGLU feed-forward; each pre-LN with a residual.</summary>
    private static Value TransformerBlock(ExportGraph net, Value x, Value context, string name, long channels)
    {
        var g = net.G;
        using var _ = g.Scope(ExportGraph.Leaf(name));
        var self = net.DiffusersAttention(net.LayerNorm(x, $"{name}.norm1", channels), null, $"{name}.attn1", channels, channels, UNetHeads, qkvBias: false, upcastSoftmax: false);
        x = g.Add(self, x);
        var cross = net.DiffusersAttention(net.LayerNorm(x, $"{name}.norm2", channels), context, $"{name}.attn2", channels, TextWidth, UNetHeads, qkvBias: false, upcastSoftmax: false);
        x = g.Add(cross, x);
        var fed = FeedForward(net, net.LayerNorm(x, $"{name}.norm3", channels), $"{name}.ff", channels);
        return g.Add(fed, x);
    }

    /// <summary>
    /// GEGLU feed-forward: <c>proj</c> to 2×inner, <c>chunk(2, -1)</c> as traced (the halves sliced at bounds computed
    /// from the shape), <c>a · GELU(b)</c> with the Erf form, then the output Linear.
    /// </summary>
    private static Value FeedForward(ExportGraph net, Value x, string name, long channels)
    {
        var g = net.G;
        var inner = 4 * channels;
        using var _ = g.Scope("ff");
        Value gated;
        using (g.Scope("net.0"))
        {
            var projected = net.Linear(x, $"{name}.net.0.proj", channels, 2 * inner);
            var axis = net.Ints(-1);
            var half = g.Div(g.Add(g.Gather(g.Shape(projected), axis), net.Ints(1)), net.Ints(2));
            var middle = g.Mul(half, net.Ints(1));
            var hidden = g.Slice(projected, net.Ints(0), middle, axis);
            var gate = g.Slice(projected, middle, g.Mul(half, net.Ints(2)), axis);
            gated = g.Mul(hidden, net.Gelu(gate));
        }

        return net.Linear(gated, $"{name}.net.2", inner, channels, gain: 0.5);
    }
}
