using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;

namespace OrtDiffusion.TinyModels.Building;

// torch.nn modules as torch.onnx.export writes them. Weights are N(0, gain²/fan_in), so activations keep their
// scale through a layer; biases and norm affines are small perturbations of their trained-model defaults.
internal sealed partial class ExportGraph
{
    private const double BiasStd = 0.02;
    private const double NormJitter = 0.05;

    /// <summary><c>nn.Linear</c> on a 3-D input: <c>MatMul</c> with the transposed weight, then <c>Add(bias, ·)</c>.</summary>
    public Value Linear(Value x, string name, long inFeatures, long outFeatures, bool bias = true, double gain = 1)
    {
        using var _ = G.Scope(Leaf(name));
        var weight = Normal($"{name}.weight.T", gain / Math.Sqrt(inFeatures), [inFeatures, outFeatures]);
        var product = G.MatMul(x, weight);
        return bias ? G.Add(Normal($"{name}.bias", BiasStd, [outFeatures]), product) : product;
    }

    /// <summary><c>nn.Linear</c> on a 2-D input: <c>Gemm(transB = 1)</c> with the torch-layout weight.</summary>
    public Value Gemm(Value x, string name, long inFeatures, long outFeatures, double gain = 1, double biasMean = 0)
    {
        using var _ = G.Scope(Leaf(name));
        var weight = Normal($"{name}.weight", gain / Math.Sqrt(inFeatures), [outFeatures, inFeatures]);
        return G.Gemm(x, weight, Normal($"{name}.bias", BiasStd, [outFeatures], biasMean));
    }

    /// <summary>
    /// <c>nn.Conv2d</c> (group 1, square kernel, symmetric padding). With <paramref name="passThrough"/>, the
    /// centre taps also copy input channels <c>from … from + count − 1</c> to output channels <c>0 … count − 1</c>
    /// scaled by a gain: an identity path that lets a random UNet carry its input to its output.
    /// </summary>
    public Value Conv(Value x, string name, long inChannels, long outChannels, long kernel, long stride = 1, long pad = 0, double gain = 1, bool bias = true, PassThrough? passThrough = null)
    {
        using var _ = G.Scope(Leaf(name));
        var fanIn = inChannels * kernel * kernel;
        long[] dims = [outChannels, inChannels, kernel, kernel];
        var values = NormalValues($"{name}.weight", gain / Math.Sqrt(fanIn), dims);
        if (passThrough is { } p)
        {
            for (var c = 0; c < p.Count; c++)
            {
                var centre = (((c * inChannels) + p.From + c) * kernel * kernel) + ((kernel / 2) * kernel) + (kernel / 2);
                values[centre] += (float)p.Gain;
            }
        }

        var weight = Initializer($"{name}.weight", values, dims);
        var b = Value.None;
        if (bias)
        {
            var biasValues = NormalValues($"{name}.bias", BiasStd, [outChannels]);
            for (var c = 0; c < (passThrough?.Count ?? 0); c++)
            {
                biasValues[c] += (float)passThrough!.Value.BiasOffset;
            }

            b = Initializer($"{name}.bias", biasValues, [outChannels]);
        }

        return G.Conv(x, weight, b, kernel, stride, pad);
    }

    /// <summary>
    /// <c>nn.GroupNorm</c> as torch exports it: <c>Reshape [0, G, -1]</c> → <c>InstanceNormalization</c> (scale
    /// ones, bias zeros) → <c>Reshape</c> back to the input's shape → <c>Mul γ</c> → <c>Add β</c>, with γ and β
    /// shaped <c>[C, 1, …]</c> to broadcast over the trailing dims.
    /// </summary>
    /// <param name="x">The input, <c>[N, C, …]</c>.</param>
    /// <param name="name">The module path (weight names and node scope).</param>
    /// <param name="channels">C.</param>
    /// <param name="groups">Number of groups; must divide C.</param>
    /// <param name="epsilon">Variance epsilon.</param>
    /// <param name="rank">Rank of the input (γ and β get rank − 1 dims).</param>
    /// <param name="biasShift">Added to β of the first channels (count, shift): moves a following SiLU into its almost linear range there.</param>
    public Value GroupNorm(Value x, string name, long channels, long groups, float epsilon, int rank = 4, (int Count, double Shift)? biasShift = null)
    {
        if (channels % groups != 0)
        {
            throw new ArgumentException($"GroupNorm '{name}': {channels} channels do not split into {groups} groups.", nameof(groups));
        }

        using var _ = G.Scope(Leaf(name));
        var affineDims = new long[rank - 1];
        Array.Fill(affineDims, 1L);
        affineDims[0] = channels;
        var grouped = G.Reshape(x, 0, groups, -1);
        var ones = FloatConstant(Enumerable.Repeat(1f, (int)groups).ToArray(), groups);
        var zeros = FloatConstant(new float[groups], groups);
        var normalised = G.InstanceNormalization(grouped, ones, zeros, epsilon);
        var restored = G.Reshape(normalised, G.Shape(x));
        var scaled = G.Mul(restored, Normal($"{name}.weight", NormJitter, affineDims, mean: 1));
        var beta = NormalValues($"{name}.bias", NormJitter, affineDims);
        for (var c = 0; c < (biasShift?.Count ?? 0); c++)
        {
            beta[c] += (float)biasShift!.Value.Shift;
        }

        return G.Add(scaled, Initializer($"{name}.bias", beta, affineDims));
    }

    /// <summary>
    /// <c>nn.LayerNorm</c> over the last axis: the opset-17 operator, or at lower opsets the decomposition torch
    /// writes (<c>ReduceMean, Sub, Pow, ReduceMean, Add ε, Sqrt, Div, Mul γ, Add β</c>), typed for the graph.
    /// </summary>
    public Value LayerNorm(Value x, string name, long width, float epsilon = 1e-5f)
    {
        using var _ = G.Scope(Leaf(name));
        var gamma = Normal($"{name}.weight", NormJitter, [width], mean: 1);
        var beta = Normal($"{name}.bias", NormJitter, [width]);
        if (Opset >= 17)
        {
            return G.LayerNormalization(x, gamma, beta, epsilon);
        }

        var mean = G.ReduceMean(x, [-1]);
        var centred = G.Sub(x, mean);
        var variance = G.ReduceMean(G.Pow(centred, F(2f)), [-1]);
        var normalised = G.Div(centred, G.Sqrt(G.Add(variance, F(epsilon))));
        return G.Add(G.Mul(normalised, gamma), beta);
    }

    /// <summary>SiLU: <c>x · Sigmoid(x)</c>.</summary>
    public Value Silu(Value x) => G.Mul(x, G.Sigmoid(x));

    /// <summary>Exact GELU as torch exports it: <c>x · (Erf(x / √2) + 1) · 0.5</c>.</summary>
    public Value Gelu(Value x)
    {
        var erf = G.Erf(G.Div(x, F(MathF.Sqrt(2f))));
        return G.Mul(G.Mul(x, G.Add(erf, F(1f))), F(0.5f));
    }

    /// <summary>CLIP's quick GELU: <c>x · Sigmoid(1.702 x)</c>.</summary>
    public Value QuickGelu(Value x) => G.Mul(x, G.Sigmoid(G.Mul(x, F(1.702f))));

    /// <summary>
    /// The node scope torch gives a module: the last segment of its dotted path, with a list index kept
    /// together with the list's name (<c>resnets.0</c>, <c>to_out.0</c>).
    /// </summary>
    public static string Leaf(string name)
    {
        var parts = name.Split('.');
        if (parts.Length >= 2 && parts[^1].All(char.IsAsciiDigit))
        {
            return $"{parts[^2]}.{parts[^1]}";
        }

        return parts[^1];
    }
}
