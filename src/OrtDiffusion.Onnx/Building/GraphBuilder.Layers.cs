namespace OrtDiffusion.Onnx.Building;

// Operators that carry weights or normalise: the building blocks of networks.
public sealed partial class GraphBuilder
{
    /// <summary>Matrix product with numpy broadcasting.</summary>
    public Value MatMul(Value a, Value b) => Op("MatMul", [a, b]);

    /// <summary><c>alpha · A · Bᵀ + beta · C</c> with <c>transB = 1</c>, as torch exports <c>nn.Linear</c> on 2-D input.</summary>
    public Value Gemm(Value a, Value b, Value c, bool transB = true, float alpha = 1f, float beta = 1f) =>
        Op("Gemm", [a, b, c], Attr.Float("alpha", alpha), Attr.Float("beta", beta), Attr.Int("transB", transB ? 1 : 0));

    /// <summary>2-D convolution (group 1) with symmetric padding.</summary>
    public Value Conv(Value x, Value weight, Value bias, long kernel, long stride = 1, long pad = 0, long group = 1)
    {
        var inputs = bias.IsNone ? new[] { x, weight } : [x, weight, bias];
        return Op(
            "Conv",
            inputs,
            Attr.Ints("dilations", 1, 1),
            Attr.Int("group", group),
            Attr.Ints("kernel_shape", kernel, kernel),
            Attr.Ints("pads", pad, pad, pad, pad),
            Attr.Ints("strides", stride, stride));
    }

    /// <summary>Softmax over one axis (opset ≥ 13 semantics; exporters use the last axis).</summary>
    public Value Softmax(Value x, long axis = -1) => Op("Softmax", [x], Attr.Int("axis", axis));

    /// <summary>Instance normalisation over the spatial dims of <c>[N, C, …]</c>.</summary>
    public Value InstanceNormalization(Value x, Value scale, Value bias, float epsilon) =>
        Op("InstanceNormalization", [x, scale, bias], Attr.Float("epsilon", epsilon));

    /// <summary>Layer normalisation from <paramref name="axis"/> to the end (opset 17 operator).</summary>
    public Value LayerNormalization(Value x, Value scale, Value bias, float epsilon, long axis = -1)
    {
        if (Opset < 17)
        {
            throw new InvalidOperationException($"LayerNormalization needs opset 17; this graph imports {Opset}. Use LayerNormDecomposed.");
        }

        return Op("LayerNormalization", [x, scale, bias], Attr.Int("axis", axis), Attr.Float("epsilon", epsilon));
    }

    /// <summary>Layer normalisation over the last axis as opset-14 exports write it (ReduceMean/Sub/Pow/Sqrt/Div).</summary>
    public Value LayerNormDecomposed(Value x, Value scale, Value bias, float epsilon)
    {
        var mean = ReduceMean(x, [-1]);
        var centred = Sub(x, mean);
        var variance = ReduceMean(Pow(centred, Scalar(2f)), [-1]);
        var normalised = Div(centred, Sqrt(Add(variance, Scalar(epsilon))));
        return Add(Mul(normalised, scale), bias);
    }

    /// <summary>Layer normalisation in whichever form the builder's opset exports.</summary>
    public Value LayerNorm(Value x, Value scale, Value bias, float epsilon) =>
        Opset >= 17 ? LayerNormalization(x, scale, bias, epsilon) : LayerNormDecomposed(x, scale, bias, epsilon);

    /// <summary>
    /// Resize by constant scales. Nearest uses <c>asymmetric</c>/<c>floor</c> as torch exports
    /// <c>interpolate(scale_factor=2)</c>; linear and cubic take the given coordinate mode.
    /// </summary>
    public Value Resize(Value x, float[] scales, string mode = "nearest", string coordinateMode = "asymmetric", string nearestMode = "floor", float cubicCoefficient = -0.75f)
    {
        var attributes = new List<Proto.AttributeProto>
        {
            Attr.String("coordinate_transformation_mode", coordinateMode),
            Attr.String("mode", mode),
        };
        if (mode == "nearest")
        {
            attributes.Add(Attr.String("nearest_mode", nearestMode));
        }

        if (mode == "cubic")
        {
            attributes.Add(Attr.Float("cubic_coeff_a", cubicCoefficient));
        }

        return Op("Resize", [x, Roi(), Constant(scales, scales.Length)], [.. attributes]);
    }

    /// <summary>Resize to constant output sizes (all dims of the input).</summary>
    public Value ResizeTo(Value x, long[] sizes, string mode, string coordinateMode, bool antialias = false)
    {
        var attributes = new List<Proto.AttributeProto>
        {
            Attr.String("coordinate_transformation_mode", coordinateMode),
            Attr.String("mode", mode),
        };
        if (antialias)
        {
            attributes.Add(Attr.Int("antialias", 1));
        }

        return Op("Resize", [x, Roi(), Value.None, Ints(sizes)], [.. attributes]);
    }

    // roi became optional in opset 13; before that an empty tensor stands in for it.
    private Value Roi() => Opset >= 13 ? Value.None : Constant(Array.Empty<float>(), 0);

    /// <summary>Einstein summation.</summary>
    public Value Einsum(string equation, params Value[] inputs) => Op("Einsum", inputs, Attr.String("equation", equation));
}
