using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.PixArt.PixArtArchitecture;

namespace OrtDiffusion.TinyModels.PixArt;

/// <summary>
/// <c>transformer/model.onnx</c>: diffusers' <c>PixArtTransformer2DModel</c> as torch.onnx.export writes it.
/// <c>hidden_states [batch_size, 4, height, width]</c>, <c>timestep [batch_size]</c> (int64 or float),
/// <c>encoder_hidden_states [batch_size, sequence_length, 32]</c>, <c>encoder_attention_mask
/// [batch_size, sequence_length]</c> (int64 or float; 1 keep, 0 discard) and in the 1024-px style
/// <c>resolution [batch_size, 2]</c> and <c>aspect_ratio [batch_size, 1]</c> (float) →
/// <c>out_sample [batch_size, 8, height, width]</c> (ε in channels 0–3, the learned variance in 4–7).
/// </summary>
/// <remarks>
/// A random DiT's noise prediction does not follow its input, and guided DPM-Solver++ on PixArt's schedule amplifies
/// that: its first x̄₀ estimate divides by α ≈ 0.0066, and 20 steps drift to latents of spread ~140. The zoo
/// therefore carries the latent along an identity path in its weights, as its UNet does: the patch convolution copies
/// each latent value of a patch into a ± pair of token channels (<see cref="PixArtEmbeddings.InputCopyGain"/>), the
/// other channels carry a large constant "carrier" (<see cref="PixArtEmbeddings.CarrierBias"/>, like the massive
/// activations of trained transformers) so the final LayerNorm divides by an almost input-independent number, and the
/// output projection copies the pair's difference back into the ε channel of the same latent position
/// (<see cref="OutputCopyGain"/>). The final shift/scale (<c>embedded_timestep</c>, <c>scale_shift_table</c>) and the
/// output projection's random part are kept small, as they act on ε directly. ε is then about 1.0 × the latent plus
/// a perturbation of spread ~0.25 that depends on the timestep and the text; 20 guided steps end with latents of
/// spread ~1.1.
/// </remarks>
internal static class PixArtTransformerModel
{
    /// <summary>
    /// Gain of the output projection's copy into ε: <c>ε(c, p, q) += g · (n[k] − n[16 + k])</c> for the identity pair
    /// <c>k = 4c + 2p + q</c> of the normalised tokens n. The final LayerNorm divides by the token's spread, about
    /// <c>S = √((32·8² + 16·48²)/48) ≈ 28.5</c>, and the pair holds ±8·x, so g = S / (2·8) makes ε ≈ 1.0 × the latent.
    /// </summary>
    public static readonly double OutputCopyGain =
        Math.Sqrt(((2 * PixArtEmbeddings.PatchValues * PixArtEmbeddings.InputCopyGain * PixArtEmbeddings.InputCopyGain)
            + ((Width - (2 * PixArtEmbeddings.PatchValues)) * PixArtEmbeddings.CarrierBias * PixArtEmbeddings.CarrierBias)) / Width)
        / (2 * PixArtEmbeddings.InputCopyGain);

    /// <summary>Gain of the output projection's random part: small, so ε is the latent plus a modest perturbation.</summary>
    private const double OutputGain = 0.25;

    public static OnnxModel Build(PixArtZooOptions options)
    {
        var net = new ExportGraph("transformer", options.Opset, options.Seed, ElementType.Float);
        var g = net.G;
        var latents = g.Input("hidden_states", ElementType.Float, "batch_size", LatentChannels, "height", "width");
        var timestep = g.Input("timestep", options.TimestepType, "batch_size");
        var text = g.Input("encoder_hidden_states", ElementType.Float, "batch_size", "sequence_length", TextWidth);
        var mask = g.Input("encoder_attention_mask", options.MaskType, "batch_size", "sequence_length");
        Value? resolution = null, aspectRatio = null;
        if (options.AdditionalConditions)
        {
            resolution = g.Input("resolution", ElementType.Float, "batch_size", 2);
            aspectRatio = g.Input("aspect_ratio", ElementType.Float, "batch_size", 1);
        }

        // encoder_attention_mask (keep = 1) becomes a bias: (1 − mask) · −10000, unsqueezed to [B, 1, S].
        var floatMask = options.MaskType == ElementType.Float ? mask : g.Cast(mask, ElementType.Float);
        var maskBias = g.Unsqueeze(g.Mul(g.Sub(net.F(1f), floatMask), net.F(MaskBias)), 1);

        var batch = net.Dim(latents, 0);
        var gridHeight = g.Cast(g.Div(net.Dim(latents, 2), net.I(Patch)), ElementType.Int64);
        var gridWidth = g.Cast(g.Div(net.Dim(latents, 3), net.I(Patch)), ElementType.Int64);

        var x = PixArtEmbeddings.PatchEmbed(net, latents, gridHeight, gridWidth, options.AdditionalConditions);
        var (modulation, embedded) = PixArtEmbeddings.AdaLayerNormSingle(net, timestep, resolution, aspectRatio, batch);
        var context = PixArtEmbeddings.CaptionProjection(net, text, batch, net.Dim(x, 2));

        for (var i = 0; i < Layers; i++)
        {
            x = PixArtBlock.Block(net, x, modulation, context, maskBias, batch, $"transformer_blocks.{i}");
        }

        x = FinalLayer(net, x, embedded);
        var output = Unpatchify(net, x, gridHeight, gridWidth);
        g.Output(output, "out_sample", ElementType.Float, "batch_size", OutChannels, "height", "width");
        return g.ToModel(TinyZoo.Producer);
    }

    /// <summary>
    /// <c>shift, scale = (scale_shift_table[None] + embedded_timestep[:, None]).chunk(2, 1)</c>, <c>norm_out</c>
    /// (LayerNorm without affine), <c>x·(1 + scale) + shift</c>, <c>proj_out</c> to <c>patch²·8</c>.
    /// </summary>
    private static Value FinalLayer(ExportGraph net, Value x, Value embedded)
    {
        var g = net.G;
        var table = net.Normal("scale_shift_table", PixArtBlock.TableGain / Math.Sqrt(Width), [2, Width]);
        var chunks = g.Split(g.Add(table, g.Unsqueeze(embedded, 1)), 1, 1, 1);
        var normed = net.LayerNormNoAffine(x, "norm_out", Width, NormEpsilon);
        normed = g.Add(g.Mul(normed, g.Add(net.F(1f), chunks[1])), chunks[0]);

        using var _ = g.Scope("proj_out");
        const int outputs = Patch * Patch * OutChannels;
        long[] dims = [Width, outputs];
        var weight = net.NormalValues("proj_out.weight.T", OutputGain / Math.Sqrt(Width), dims);
        for (var c = 0; c < LatentChannels; c++)
        {
            for (var p = 0; p < Patch; p++)
            {
                for (var q = 0; q < Patch; q++)
                {
                    var token = (c * Patch * Patch) + (p * Patch) + q;
                    var output = (((p * Patch) + q) * OutChannels) + c;
                    weight[(token * outputs) + output] += (float)OutputCopyGain;
                    weight[((PixArtEmbeddings.PatchValues + token) * outputs) + output] -= (float)OutputCopyGain;
                }
            }
        }

        var product = g.MatMul(normed, net.Initializer("proj_out.weight.T", weight, dims));
        return g.Add(net.Normal("proj_out.bias", 0.02, [outputs]), product);
    }

    /// <summary>
    /// <c>reshape(−1, h, w, p, p, c)</c>, <c>torch.einsum("nhwpqc->nchpwq")</c> (exported as an <c>Einsum</c> node, as
    /// diffusers writes the permutation), <c>reshape(−1, c, h·p, w·p)</c>.
    /// </summary>
    private static Value Unpatchify(ExportGraph net, Value x, Value gridHeight, Value gridWidth)
    {
        var g = net.G;
        var patches = g.Reshape(x, net.ShapeOf(net.Ints(-1), net.Vec(gridHeight), net.Vec(gridWidth), net.Ints(Patch, Patch, OutChannels)));
        var permuted = g.Einsum("nhwpqc->nchpwq", patches);
        var height = net.Vec(g.Mul(gridHeight, net.I(Patch)));
        var width = net.Vec(g.Mul(gridWidth, net.I(Patch)));
        return g.Reshape(permuted, net.ShapeOf(net.Ints(-1, OutChannels), height, width));
    }
}
