using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Models;

/// <summary>
/// <c>vae_decoder/model.onnx</c> and <c>vae_encoder/model.onnx</c>: diffusers' <c>AutoencoderKL</c> at toy widths,
/// with the real structure (mid block ResNet + attention + ResNet, three 2× resolution steps, GroupNorm/SiLU heads).
/// </summary>
internal static class VaeModels
{
    private const float Epsilon = 1e-6f;

    /// <summary>Gain of the decoder's <c>conv_out</c>: pixels of roughly unit spread, like an untrained decoder in [-1, 1].</summary>
    private const double DecoderOutputGain = 1.0;

    /// <summary><c>latent_sample [batch_size, 4, height_latent, width_latent]</c> → <c>sample [batch_size, 3, height, width]</c>, 8× larger.</summary>
    public static OnnxModel BuildDecoder(TinyZooOptions options)
    {
        var net = new ExportGraph("vae_decoder", options.Opset, options.Seed, options.ModelType);
        var g = net.G;
        var latent = g.Input("latent_sample", net.Dtype, "batch_size", LatentChannels, "height_latent", "width_latent");
        var x = net.Conv(latent, "post_quant_conv", LatentChannels, LatentChannels, 1);

        var widths = VaeChannels.Reverse().ToArray();
        long channels = widths[0];
        using (g.Scope("decoder"))
        {
            x = net.Conv(x, "decoder.conv_in", LatentChannels, channels, 3, pad: 1);
            x = MidBlock(net, x, "decoder.mid_block", channels);

            // AutoencoderKL's decoder casts to its upscale dtype between the mid block and the up blocks.
            x = g.Cast(x, net.Dtype);
            for (var block = 0; block < widths.Length; block++)
            {
                var name = $"decoder.up_blocks.{block}";
                using var _ = g.Scope($"up_blocks.{block}");
                for (var i = 0; i <= VaeLayersPerBlock; i++)
                {
                    x = Resnet(net, x, $"{name}.resnets.{i}", channels, widths[block]);
                    channels = widths[block];
                }

                if (block != widths.Length - 1)
                {
                    x = DiffusersBlocks.Upsample(net, x, $"{name}.upsamplers.0", channels);
                }
            }

            x = net.Silu(net.GroupNorm(x, "decoder.conv_norm_out", channels, VaeGroups, Epsilon));
            x = net.Conv(x, "decoder.conv_out", channels, 3, 3, pad: 1, gain: DecoderOutputGain);
        }

        g.Output(x, "sample", net.Dtype, "batch_size", 3, "height", "width");
        return g.ToModel(TinyZoo.Producer);
    }

    /// <summary>
    /// <c>sample [batch_size, 3, height, width]</c> → <c>latent_parameters [batch_size, 8, height/8, width/8]</c>: the
    /// Gaussian's mean (channels 0–3) and log-variance (4–7), as current Optimum exports name it. Downsampling is
    /// diffusers' <c>F.pad(0, 1, 0, 1)</c> then a stride-2 3×3 conv without padding.
    /// </summary>
    public static OnnxModel BuildEncoder(TinyZooOptions options)
    {
        var net = new ExportGraph("vae_encoder", options.Opset, options.Seed, options.ModelType);
        var g = net.G;
        var image = g.Input("sample", net.Dtype, "batch_size", 3, "height", "width");
        Value x;
        long channels = VaeChannels[0];
        using (g.Scope("encoder"))
        {
            x = net.Conv(image, "encoder.conv_in", 3, channels, 3, pad: 1);
            for (var block = 0; block < VaeChannels.Length; block++)
            {
                var name = $"encoder.down_blocks.{block}";
                using var _ = g.Scope($"down_blocks.{block}");
                for (var i = 0; i < VaeLayersPerBlock; i++)
                {
                    x = Resnet(net, x, $"{name}.resnets.{i}", channels, VaeChannels[block]);
                    channels = VaeChannels[block];
                }

                if (block != VaeChannels.Length - 1)
                {
                    using (g.Scope("downsamplers.0"))
                    {
                        var padded = g.Op("Pad", [x, net.Ints(0, 0, 0, 0, 0, 0, 1, 1), net.F(0f)], Attr.String("mode", "constant"));
                        x = net.Conv(padded, $"{name}.downsamplers.0.conv", channels, channels, 3, stride: 2);
                    }
                }
            }

            x = MidBlock(net, x, "encoder.mid_block", channels);
            x = net.Silu(net.GroupNorm(x, "encoder.conv_norm_out", channels, VaeGroups, Epsilon));
            x = net.Conv(x, "encoder.conv_out", channels, 2 * LatentChannels, 3, pad: 1);
        }

        x = net.Conv(x, "quant_conv", 2 * LatentChannels, 2 * LatentChannels, 1);
        g.Output(x, "latent_parameters", net.Dtype, "batch_size", 2 * LatentChannels, "height_latent", "width_latent");
        return g.ToModel(TinyZoo.Producer);
    }

    private static Value MidBlock(ExportGraph net, Value x, string name, long channels)
    {
        using var _ = net.G.Scope("mid_block");
        x = Resnet(net, x, $"{name}.resnets.0", channels, channels);
        x = DiffusersBlocks.VaeAttention(net, x, $"{name}.attentions.0", channels, VaeGroups);
        return Resnet(net, x, $"{name}.resnets.1", channels, channels);
    }

    private static Value Resnet(ExportGraph net, Value x, string name, long inChannels, long outChannels) =>
        DiffusersBlocks.Resnet(net, x, null, 0, name, inChannels, outChannels, VaeGroups, Epsilon);
}
