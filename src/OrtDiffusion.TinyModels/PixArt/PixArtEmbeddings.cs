using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.PixArt.PixArtArchitecture;

namespace OrtDiffusion.TinyModels.PixArt;

/// <summary>The input side of <c>PixArtTransformer2DModel</c>: patch and position embedding, adaLN-single, caption projection.</summary>
internal static class PixArtEmbeddings
{
    /// <summary>Latent values in one patch (4 channels × 2 × 2): the identity path's width.</summary>
    public const int PatchValues = LatentChannels * Patch * Patch;

    /// <summary>
    /// Gain of the identity the patch convolution carries: latent channel c at patch offset (i, j) is copied into
    /// token channel <c>k = 4c + 2i + j</c> and, negated, into channel <c>16 + k</c>. The ± pair adds nothing to the
    /// token's mean, so the final LayerNorm's mean subtraction does not mix the patch's values.
    /// See <see cref="PixArtTransformerModel"/>.
    /// </summary>
    public const double InputCopyGain = 8.0;

    /// <summary>
    /// Added to the patch convolution's bias of the remaining 16 channels with alternating signs (mean zero): a large,
    /// input-independent "carrier" that dominates every token's variance, so the final LayerNorm divides the identity
    /// channels by an almost constant number and ε stays proportional to the latent.
    /// </summary>
    public const double CarrierBias = 48.0;

    /// <summary>Gain of the three <c>TimestepEmbedding</c>s' <c>linear_2</c>: <c>embedded_timestep</c> shifts and scales the final layer directly, so it stays small.</summary>
    public const double EmbeddingGain = 0.1;

    /// <summary>Gain of <c>adaln_single.linear</c>, which turns the small embedding into the blocks' shift/scale/gate (the timestep's main route).</summary>
    public const double ModulationGain = 3.0;

    /// <summary>
    /// <c>PatchEmbed</c>: <c>Conv2d(4, D, kernel = stride = 2)</c>, <c>flatten(2)</c> (Reshape to <c>[B, D, −1]</c>) and
    /// <c>transpose(1, 2)</c>, plus the 2-D sin-cos position embedding computed in the graph for the input's size.
    /// </summary>
    public static Value PatchEmbed(ExportGraph net, Value latents, Value gridHeight, Value gridWidth, bool additionalConditions)
    {
        var g = net.G;
        using var _ = g.Scope("pos_embed");
        Value tokens;
        using (g.Scope("proj"))
        {
            long[] dims = [Width, LatentChannels, Patch, Patch];
            var values = net.NormalValues("pos_embed.proj.weight", 1 / Math.Sqrt(LatentChannels * Patch * Patch), dims);
            // Weight [k, c, i, j] with k = 4c + 2i + j sits at flat index 16·k + k: the copy is a diagonal.
            for (var k = 0; k < PatchValues; k++)
            {
                values[(k * PatchValues) + k] += (float)InputCopyGain;
                values[((PatchValues + k) * PatchValues) + k] -= (float)InputCopyGain;
            }

            var bias = net.NormalValues("pos_embed.proj.bias", 0.02, [Width]);
            for (var k = 2 * PatchValues; k < Width; k++)
            {
                bias[k] += (float)(k % 2 == 0 ? CarrierBias : -CarrierBias);
            }

            var weight = net.Initializer("pos_embed.proj.weight", values, dims);
            tokens = g.Conv(latents, weight, net.Initializer("pos_embed.proj.bias", bias, [Width]), Patch, stride: Patch);
        }

        var flat = g.Reshape(tokens, net.ShapeOf(g.Slice(g.Shape(tokens), [0], [2], [0]), net.Ints(-1)));
        var sequence = g.Transpose(flat, 0, 2, 1);
        return g.Add(sequence, SinCosPositions(net, gridHeight, gridWidth, additionalConditions));
    }

    /// <summary>
    /// diffusers' <c>get_2d_sincos_pos_embed</c> for a <c>h × w</c> grid, as <c>[1, h·w, D]</c>: positions
    /// <c>arange(n) / (n / base_size) / interpolation_scale</c> along each axis, each axis embedded as
    /// <c>[sin(p·ω), cos(p·ω)]</c> with <c>ω_k = 10000^(−k/(D/4))</c>, the width coordinate in the first half of the
    /// channels and the height coordinate in the second (meshgrid's "xy" order), tokens row by row.
    /// </summary>
    public static Value SinCosPositions(ExportGraph net, Value gridHeight, Value gridWidth, bool additionalConditions)
    {
        var g = net.G;
        const int quarter = Width / 4;
        var omega = Enumerable.Range(0, quarter).Select(k => (float)(1.0 / Math.Pow(10000, k / (double)quarter))).ToArray();
        var frequencies = g.Unsqueeze(g.Constant(omega, quarter), 0);
        float baseSize = BaseSizeFor(additionalConditions);
        float interpolation = InterpolationScaleFor(additionalConditions);

        Value Axis(Value n)
        {
            var positions = g.Cast(g.Op("Range", [net.I(0), n, net.I(1)]), ElementType.Float);
            positions = g.Div(g.Div(positions, g.Div(g.Cast(n, ElementType.Float), net.F(baseSize))), net.F(interpolation));
            var angles = g.Mul(g.Unsqueeze(positions, 1), frequencies);
            return g.Concat(1, g.Sin(angles), g.Cos(angles));
        }

        var grid = net.ShapeOf(net.Vec(gridHeight), net.Vec(gridWidth), net.Ints(Width / 2));
        var alongWidth = g.Expand(g.Unsqueeze(Axis(gridWidth), 0), grid);
        var alongHeight = g.Expand(g.Unsqueeze(Axis(gridHeight), 1), grid);
        var embedding = g.Concat(-1, alongWidth, alongHeight);
        return g.Reshape(embedding, net.Ints(1, -1, Width));
    }

    /// <summary>
    /// <c>AdaLayerNormSingle</c>: <c>PixArtAlphaCombinedTimestepSizeEmbeddings</c> (the timestep's sinusoid through
    /// <c>TimestepEmbedding</c>, plus in the 1024-px style the resolution and aspect-ratio embeddings concatenated),
    /// then <c>linear(SiLU(·))</c> to 6·D. Returns (<c>timestep</c> <c>[B, 6D]</c>, <c>embedded_timestep</c> <c>[B, D]</c>).
    /// </summary>
    public static (Value Modulation, Value Embedded) AdaLayerNormSingle(ExportGraph net, Value timestep, Value? resolution, Value? aspectRatio, Value batch)
    {
        var g = net.G;
        using var _ = g.Scope("adaln_single");
        Value conditioning;
        using (g.Scope("emb"))
        {
            Value sinusoid;
            using (g.Scope("time_proj"))
            {
                sinusoid = Sinusoid(net, timestep);
            }

            conditioning = TimestepEmbedding(net, sinusoid, "adaln_single.emb.timestep_embedder", Width);
            if (resolution is Value r && aspectRatio is Value a)
            {
                const int sizeWidth = Width / 3;
                Value resolutionSinusoid, aspectSinusoid;
                using (g.Scope("additional_condition_proj"))
                {
                    resolutionSinusoid = Sinusoid(net, g.Reshape(r, net.Ints(-1)));
                }

                var resolutionEmbedding = TimestepEmbedding(net, resolutionSinusoid, "adaln_single.emb.resolution_embedder", sizeWidth);
                resolutionEmbedding = g.Reshape(resolutionEmbedding, net.ShapeOf(net.Vec(batch), net.Ints(-1)));
                using (g.Scope("additional_condition_proj"))
                {
                    aspectSinusoid = Sinusoid(net, g.Reshape(a, net.Ints(-1)));
                }

                var aspectEmbedding = TimestepEmbedding(net, aspectSinusoid, "adaln_single.emb.aspect_ratio_embedder", sizeWidth);
                aspectEmbedding = g.Reshape(aspectEmbedding, net.ShapeOf(net.Vec(batch), net.Ints(-1)));
                conditioning = g.Add(conditioning, g.Concat(1, resolutionEmbedding, aspectEmbedding));
            }
        }

        var modulation = net.Gemm(net.Silu(conditioning), "adaln_single.linear", Width, 6 * Width, gain: ModulationGain);
        return (modulation, conditioning);
    }

    /// <summary>
    /// <c>PixArtAlphaTextProjection</c>: <c>linear_1 → GELU(tanh) → linear_2</c> from the T5 width to D on
    /// <c>[B, S, 32]</c>, then <c>view(batch, −1, D)</c>.
    /// </summary>
    public static Value CaptionProjection(ExportGraph net, Value text, Value batch, Value width)
    {
        var g = net.G;
        Value projected;
        using (g.Scope("caption_projection"))
        {
            var hidden = net.GeluTanh(net.Linear(text, "caption_projection.linear_1", TextWidth, Width));
            projected = net.Linear(hidden, "caption_projection.linear_2", Width, Width);
        }

        return g.Reshape(projected, net.ShapeOf(net.Vec(batch), net.Ints(-1), net.Vec(width)));
    }

    /// <summary>
    /// diffusers' <c>Timesteps(num_channels, flip_sin_to_cos=True, downscale_freq_shift=0)</c> on a 1-D tensor:
    /// <c>t[:, None].float() · exp(−ln(10000)·k/half)</c>, <c>[sin, cos]</c>, halves swapped to <c>[cos, sin]</c>.
    /// </summary>
    private static Value Sinusoid(ExportGraph net, Value t)
    {
        var g = net.G;
        const int half = FrequencyChannels / 2;
        var exponent = Enumerable.Range(0, half).Select(i => (float)(-Math.Log(10000) * i / half)).ToArray();
        var frequencies = g.Exp(g.Constant(exponent, half));
        var column = g.Unsqueeze(t, 1);
        var arguments = g.Mul(g.Cast(column, ElementType.Float), g.Unsqueeze(frequencies, 0));
        var sinCos = g.Concat(-1, g.Sin(arguments), g.Cos(arguments));
        var flipped = g.Concat(-1, g.Slice(sinCos, [half], [long.MaxValue], [-1], [1]), g.Slice(sinCos, [0], [half], [-1], [1]));
        return flipped;
    }

    /// <summary><c>TimestepEmbedding</c>: <c>linear_1 → SiLU → linear_2</c> as Gemms on <c>[N, channels]</c>.</summary>
    private static Value TimestepEmbedding(ExportGraph net, Value sinusoid, string name, long width)
    {
        var g = net.G;
        using var _ = g.Scope(ExportGraph.Leaf(name));
        var hidden = net.Silu(net.Gemm(sinusoid, $"{name}.linear_1", FrequencyChannels, width));
        return net.Gemm(hidden, $"{name}.linear_2", width, width, gain: EmbeddingGain);
    }
}
