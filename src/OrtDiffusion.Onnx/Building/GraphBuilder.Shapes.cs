namespace OrtDiffusion.Onnx.Building;

// Shape and indexing operators, encoded for the builder's opset (axes moved from attributes to inputs
// in opset 13 for Squeeze/Unsqueeze/ReduceSum/Split and in opset 18 for the other reductions).
public sealed partial class GraphBuilder
{
    /// <summary>Reshapes to a constant target shape (0 copies a dim, -1 infers one).</summary>
    public Value Reshape(Value x, params long[] shape) => Op("Reshape", [x, Ints(shape)]);

    /// <summary>Reshapes to a computed target shape.</summary>
    public Value Reshape(Value x, Value shape) => Op("Reshape", [x, shape]);

    /// <summary>Permutes dimensions.</summary>
    public Value Transpose(Value x, params long[] perm) => Op("Transpose", [x], Attr.Ints("perm", perm));

    /// <summary>Concatenates along <paramref name="axis"/>.</summary>
    public Value Concat(long axis, params Value[] parts) => Op("Concat", parts, Attr.Int("axis", axis));

    /// <summary>The shape of <paramref name="x"/> as int64.</summary>
    public Value Shape(Value x) => Op("Shape", [x]);

    /// <summary>A tensor of <paramref name="shape"/> filled with a float value.</summary>
    public Value ConstantOfShape(Value shape, float value) =>
        Op("ConstantOfShape", [shape], Attr.Tensor("value", IO.TensorProtos.Create<float>(string.Empty, [value], [1])));

    /// <summary>Broadcasts to a computed shape.</summary>
    public Value Expand(Value x, Value shape) => Op("Expand", [x, shape]);

    /// <summary>Takes entries along <paramref name="axis"/>.</summary>
    public Value Gather(Value data, Value indices, long axis = 0) => Op("Gather", [data, indices], Attr.Int("axis", axis));

    /// <summary>Flattens to 2-D at <paramref name="axis"/>.</summary>
    public Value Flatten(Value x, long axis = 1) => Op("Flatten", [x], Attr.Int("axis", axis));

    /// <summary>A slice with constant bounds.</summary>
    public Value Slice(Value x, long[] starts, long[] ends, long[]? axes = null, long[]? steps = null)
    {
        var inputs = new List<Value> { x, Ints(starts), Ints(ends) };
        if (axes is not null || steps is not null)
        {
            inputs.Add(axes is null ? Value.None : Ints(axes));
        }

        if (steps is not null)
        {
            inputs.Add(Ints(steps));
        }

        return Op("Slice", inputs);
    }

    /// <summary>A slice with computed bounds.</summary>
    public Value Slice(Value x, Value starts, Value ends, Value axes) => Op("Slice", [x, starts, ends, axes]);

    /// <summary>Inserts size-1 dimensions.</summary>
    public Value Unsqueeze(Value x, params long[] axes) =>
        Opset >= 13 ? Op("Unsqueeze", [x, Ints(axes)]) : Op("Unsqueeze", [x], Attr.Ints("axes", axes));

    /// <summary>Removes size-1 dimensions.</summary>
    public Value Squeeze(Value x, params long[] axes) =>
        Opset >= 13 ? Op("Squeeze", [x, Ints(axes)]) : Op("Squeeze", [x], Attr.Ints("axes", axes));

    /// <summary>Mean over <paramref name="axes"/>.</summary>
    public Value ReduceMean(Value x, long[] axes, bool keepDims = true) => Reduce("ReduceMean", 18, x, axes, keepDims);

    /// <summary>Sum over <paramref name="axes"/>.</summary>
    public Value ReduceSum(Value x, long[] axes, bool keepDims = true) => Reduce("ReduceSum", 13, x, axes, keepDims);

    /// <summary>Maximum over <paramref name="axes"/>.</summary>
    public Value ReduceMax(Value x, long[] axes, bool keepDims = true) => Reduce("ReduceMax", 18, x, axes, keepDims);

    /// <summary>Splits along <paramref name="axis"/> into parts of the given sizes.</summary>
    public Value[] Split(Value x, long axis, params long[] sizes) =>
        Opset >= 13
            ? Op("Split", [x, Ints(sizes)], sizes.Length, Attr.Int("axis", axis))
            : Op("Split", [x], sizes.Length, Attr.Int("axis", axis), Attr.Ints("split", sizes));

    /// <summary>Pads with a constant; <paramref name="pads"/> lists all begins then all ends.</summary>
    public Value Pad(Value x, long[] pads, float value = 0f) =>
        Opset >= 11
            ? Op("Pad", [x, Ints(pads), Scalar(value)], Attr.String("mode", "constant"))
            : Op("Pad", [x], Attr.String("mode", "constant"), Attr.Ints("pads", pads), Attr.Float("value", value));

    /// <summary>Upper (or lower) triangle of the last two dimensions.</summary>
    public Value Trilu(Value x, bool upper, long k = 0) =>
        Op("Trilu", [x, Constant([k])], Attr.Int("upper", upper ? 1 : 0));

    private Value Reduce(string opType, int axesBecameInputAt, Value x, long[] axes, bool keepDims)
    {
        var keep = Attr.Int("keepdims", keepDims ? 1 : 0);
        return Opset >= axesBecameInputAt
            ? Op(opType, [x, Ints(axes)], keep)
            : Op(opType, [x], Attr.Ints("axes", axes), keep);
    }
}
