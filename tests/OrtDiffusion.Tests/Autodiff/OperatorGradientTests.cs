using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;

namespace OrtDiffusion.Tests.Autodiff;

/// <summary>
/// Every gradient rule against central finite differences of the forward operator run in ONNX Runtime.
/// Inputs avoid kinks (Relu, Abs, Clip, Max) and singularities (Log, Sqrt, Div) so the differences are
/// smooth; the tolerance is 2e-3 relative for the directional derivative and for single coordinates.
/// </summary>
public sealed class OperatorGradientTests(Xunit.Abstractions.ITestOutputHelper output)
{
    public static readonly Dictionary<string, Func<OpCase>> Cases = new()
    {
        // Broadcasting binaries.
        ["Add broadcast"] = () => Case(17, c => c.Builder.Add(c.Var("a", [2, 3, 4]), c.Var("b", [3, 1]))),
        ["Add symbolic batch"] = () => Case(17, c => c.Builder.Add(c.Var("a", [2, 3, 4], declared: ["batch", 3, 4]), c.Var("b", [1, 3, 4]))),
        ["Sub"] = () => Case(17, c => c.Builder.Sub(c.Var("a", [2, 3, 4]), c.Var("b", [4]))),
        ["Mul both broadcast"] = () => Case(17, c => c.Builder.Mul(c.Var("a", [2, 1, 4]), c.Var("b", [3, 1]))),
        ["Mul square"] = () => Case(17, c => { var a = c.Var("a", [3, 4]); return c.Builder.Mul(a, a); }),
        ["Div"] = () => Case(17, c => c.Builder.Div(c.Var("a", [2, 3]), c.Var("b", [2, 3], 1f, 2f))),
        ["Pow 2"] = () => Case(17, c => c.Builder.Pow(c.Var("a", [2, 3]), c.Builder.Scalar(2f))),
        ["Pow 3"] = () => Case(17, c => c.Builder.Pow(c.Var("a", [2, 3]), c.Builder.Scalar(3f))),
        ["Pow 0.5"] = () => Case(17, c => c.Builder.Pow(c.Var("a", [2, 3], 0.5f, 2f), c.Builder.Scalar(0.5f))),
        ["Pow active exponent"] = () => Case(17, c => c.Builder.Pow(c.Var("a", [2, 3], 0.5f, 2f), c.Var("b", [3], -1f, 1f))),
        ["Sum three"] = () => Case(17, c => c.Builder.Op("Sum", [c.Var("a", [2, 3]), c.Var("b", [3]), c.Var("c", [2, 1])])),
        ["Max"] = () => Case(17, c => c.Builder.Op("Max", [c.Var("a", [4, 5]), c.Builder.Add(c.Var("b", [4, 5]), c.Builder.Scalar(3f))])),
        ["Min"] = () => Case(17, c => c.Builder.Op("Min", [c.Var("a", [4, 5]), c.Builder.Add(c.Var("b", [4, 5]), c.Builder.Scalar(3f))])),
        ["Where"] = () => Case(17, c => c.Builder.Where(c.Builder.Op("Greater", [c.Const("m", [2, 3]), c.Builder.Scalar(0f)]), c.Var("a", [2, 3]), c.Var("b", [3]))),

        // Unary math.
        ["Neg"] = () => Unary(b => x => b.Neg(x)),
        ["Sqrt"] = () => Unary(b => x => b.Sqrt(x), 0.5f, 2f),
        ["Exp"] = () => Unary(b => x => b.Exp(x)),
        ["Log"] = () => Unary(b => x => b.Log(x), 0.5f, 2f),
        ["Sin"] = () => Unary(b => x => b.Sin(x)),
        ["Cos"] = () => Unary(b => x => b.Cos(x)),
        ["Erf"] = () => Unary(b => x => b.Erf(x)),
        ["Tanh"] = () => Unary(b => x => b.Tanh(x)),
        ["Sigmoid"] = () => Unary(b => x => b.Sigmoid(x)),
        ["Reciprocal"] = () => Unary(b => x => b.Reciprocal(x), 0.5f, 2f),
        ["Relu"] = () => Unary(b => x => b.Relu(x), 0.2f, 1f),
        ["Relu negative side"] = () => Unary(b => x => b.Add(b.Relu(x), x), -1f, -0.2f),
        ["Abs"] = () => Unary(b => x => b.Abs(x), -1f, -0.2f),
        ["Softplus"] = () => Unary(b => x => b.Op("Softplus", [x])),
        ["LeakyRelu"] = () => Unary(b => x => b.Op("LeakyRelu", [x], Attr.Float("alpha", 0.2f)), -1f, -0.2f),
        ["Identity"] = () => Unary(b => x => b.Identity(x)),
        ["Cast through double"] = () => Unary(b => x => b.Cast(b.Mul(b.Cast(x, ElementType.Double), b.Constant(new double[] { 2.5 })), ElementType.Float)),
        ["Clip inside"] = () => Unary(b => x => b.Clip(x, -2f, 2f)),
        ["Clip outside"] = () => Unary(b => x => b.Add(b.Clip(x, 2f, 3f), x)),
        ["Clip opset 7 attributes"] = () => Case(7, c => c.Builder.Clip(c.Var("a", [2, 3], -1f, 0.4f), -2f, 0.5f)),
        ["SiLU"] = () => Unary(b => x => b.Silu(x)),
        ["GELU erf"] = () => Unary(b => x => b.GeluErf(x)),
        ["GELU tanh"] = () => Unary(b => x => b.GeluTanh(x)),

        // Products and convolutions.
        ["MatMul weight"] = () => Case(17, c => c.Builder.MatMul(c.Var("a", [2, 3, 4]), c.Var("b", [4, 5]))),
        ["MatMul batch broadcast"] = () => Case(17, c => c.Builder.MatMul(c.Var("a", [2, 1, 3, 4]), c.Var("b", [5, 4, 6]))),
        ["Gemm transB"] = () => Case(17, c => c.Builder.Gemm(c.Var("a", [3, 4]), c.Var("b", [5, 4]), c.Var("c", [5]))),
        ["Gemm transA alpha beta"] = () => Case(17, c => c.Builder.Op("Gemm", [c.Var("a", [4, 3]), c.Var("b", [4, 5]), c.Var("c", [3, 5])], Attr.Int("transA", 1), Attr.Float("alpha", 0.7f), Attr.Float("beta", 1.3f))),
        ["Gemm both transposed"] = () => Case(17, c => c.Builder.Op("Gemm", [c.Var("a", [4, 3]), c.Var("b", [5, 4]), c.Var("c", [1, 5])], Attr.Int("transA", 1), Attr.Int("transB", 1))),
        ["Conv 3x3"] = () => Case(17, c => c.Builder.Conv(c.Var("x", [2, 3, 6, 5]), c.Var("w", [4, 3, 3, 3]), c.Var("b", [4]), kernel: 3, pad: 1)),
        ["Conv stride 2 even"] = () => Case(17, c => c.Builder.Conv(c.Var("x", [1, 2, 8, 8]), c.Var("w", [3, 2, 3, 3]), c.Var("b", [3]), kernel: 3, stride: 2, pad: 1)),
        ["Conv stride 2 odd"] = () => Case(17, c => c.Builder.Conv(c.Var("x", [1, 2, 7, 9]), c.Var("w", [3, 2, 3, 3]), Value.None, kernel: 3, stride: 2, pad: 1)),
        ["Conv 1x1 symbolic"] = () => Case(17, c => c.Builder.Conv(c.Var("x", [2, 3, 4, 4], declared: ["batch", 3, "h", "w"]), c.Var("w", [5, 3, 1, 1]), c.Var("b", [5]), kernel: 1)),
        ["Conv dilated"] = () => Case(17, c => c.Builder.Op("Conv", [c.Var("x", [1, 2, 9, 9]), c.Var("w", [2, 2, 3, 3])], Attr.Ints("dilations", 2, 2), Attr.Ints("pads", 2, 2, 2, 2))),
        ["Einsum batched matmul"] = () => Case(17, c => c.Builder.Einsum("bij,bjk->bik", c.Var("a", [2, 3, 4]), c.Var("b", [2, 4, 5]))),
        ["Einsum attention scores"] = () => Case(17, c => c.Builder.Einsum("bhqd,bhkd->bhqk", c.Var("a", [1, 2, 3, 4]), c.Var("b", [1, 2, 5, 4]))),

        // Normalisation and reductions.
        ["Softmax last axis"] = () => Case(17, c => c.Builder.Softmax(c.Var("a", [2, 3, 5]))),
        ["Softmax axis 1"] = () => Case(17, c => c.Builder.Softmax(c.Var("a", [2, 3, 5]), axis: 1)),
        ["Softmax opset 11"] = () => Case(11, c => c.Builder.Softmax(c.Var("a", [2, 3, 5]), axis: 2)),
        ["LogSoftmax"] = () => Case(17, c => c.Builder.Op("LogSoftmax", [c.Var("a", [2, 5])], Attr.Int("axis", -1))),
        ["InstanceNormalization"] = () => Case(17, c => c.Builder.InstanceNormalization(c.Var("x", [2, 3, 4, 5]), c.Var("s", [3], 0.5f, 1.5f), c.Var("b", [3]), 1e-5f)),
        ["LayerNormalization"] = () => Case(17, c => c.Builder.LayerNormalization(c.Var("x", [2, 3, 6]), c.Var("s", [6], 0.5f, 1.5f), c.Var("b", [6]), 1e-5f)),
        ["LayerNormalization two axes"] = () => Case(17, c => c.Builder.LayerNormalization(c.Var("x", [2, 3, 6]), c.Var("s", [3, 6], 0.5f, 1.5f), c.Var("b", [3, 6]), 1e-5f, axis: -2)),
        ["LayerNorm decomposed opset 14"] = () => Case(14, c => c.Builder.LayerNormDecomposed(c.Var("x", [2, 3, 6]), c.Var("s", [6], 0.5f, 1.5f), c.Var("b", [6]), 1e-5f)),
        ["ReduceMean keepdims"] = () => Case(17, c => c.Builder.ReduceMean(c.Var("a", [2, 3, 4]), [-1])),
        ["ReduceMean opset 13 attribute"] = () => Case(13, c => c.Builder.ReduceMean(c.Var("a", [2, 3, 4]), [0, 2], keepDims: false)),
        ["ReduceSum opset 11 attribute"] = () => Case(11, c => c.Builder.ReduceSum(c.Var("a", [2, 3, 4]), [1, 2], keepDims: false)),
        ["ReduceSum all"] = () => Case(17, c => c.Builder.Op("ReduceSum", [c.Var("a", [2, 3])], Attr.Int("keepdims", 0))),
        ["ReduceL2"] = () => Case(18, c => c.Builder.Op("ReduceL2", [c.Var("a", [3, 4]), c.Builder.Ints(1)], Attr.Int("keepdims", 1))),
        ["ReduceSumSquare"] = () => Case(18, c => c.Builder.Op("ReduceSumSquare", [c.Var("a", [3, 4]), c.Builder.Ints(0)], Attr.Int("keepdims", 0))),
        ["ReduceLogSumExp"] = () => Case(18, c => c.Builder.Op("ReduceLogSumExp", [c.Var("a", [3, 4]), c.Builder.Ints(1)], Attr.Int("keepdims", 0))),
        ["ReduceMax"] = () => Case(18, c => c.Builder.ReduceMax(c.Var("a", [3, 4]), [1])),

        // Data movement.
        ["Reshape"] = () => Case(17, c => c.Builder.Reshape(c.Var("a", [2, 3, 4]), 0, -1)),
        ["Flatten"] = () => Case(17, c => c.Builder.Flatten(c.Var("a", [2, 3, 4]), 2)),
        ["Squeeze"] = () => Case(17, c => c.Builder.Squeeze(c.Var("a", [2, 1, 4]), 1)),
        ["Unsqueeze opset 11"] = () => Case(11, c => c.Builder.Unsqueeze(c.Var("a", [2, 4]), 0, 3)),
        ["Transpose"] = () => Case(17, c => c.Builder.Transpose(c.Var("a", [2, 3, 4]), 2, 0, 1)),
        ["Concat"] = () => Case(17, c => c.Builder.Concat(1, c.Var("a", [2, 3]), c.Const("k", [2, 2]), c.Var("b", [2, 1]))),
        ["Concat symbolic"] = () => Case(17, c => c.Builder.Concat(1, c.Var("a", [2, 3], declared: [2, "n"]), c.Var("b", [2, 2], declared: [2, "m"]))),
        ["Split with unused part"] = () => Case(17, c => c.Builder.Split(c.Var("a", [2, 6]), 1, 2, 4)[1]),
        ["Split opset 11"] = () => Case(11, c => { var p = c.Builder.Split(c.Var("a", [2, 6]), 1, 3, 3); return c.Builder.Mul(p[0], p[1]); }),
        ["Slice constant negative"] = () => Case(17, c => c.Builder.Slice(c.Var("a", [4, 6]), [1, -4], [3, int.MaxValue], [0, 1])),
        ["Slice dynamic bounds"] = () => Case(17, c =>
        {
            var a = c.Var("a", [4, 6], declared: ["r", "c"]);
            var end = c.Builder.Sub(c.Builder.Slice(c.Builder.Shape(a), [1], [2]), c.Builder.Ints(1));
            return c.Builder.Slice(a, c.Builder.Ints(1), end, c.Builder.Ints(1));
        }),
        ["Pad"] = () => Case(17, c => c.Builder.Pad(c.Var("a", [2, 3, 4]), [0, 1, 2, 0, 2, 1], 0.5f)),
        ["Expand"] = () => Case(17, c => c.Builder.Expand(c.Var("a", [3, 1]), c.Builder.Ints(2, 3, 4))),
        ["Expand dynamic shape"] = () => Case(17, c => c.Builder.Expand(c.Var("a", [3, 1]), c.IntInput("shape", [2, 3, 4], [3]))),
        ["Gather embedding with repeats"] = () => Case(17, c => c.Builder.Gather(c.Var("table", [6, 4]), c.IntInput("ids", [1, 3, 1, 5, 0, 1], [2, 3]))),
        ["Gather axis 1 negative index"] = () => Case(17, c => c.Builder.Gather(c.Var("a", [2, 5, 3]), c.Builder.Constant(new long[] { -1, 2 }, 2), axis: 1)),
        ["Gather scalar index"] = () => Case(17, c => c.Builder.Gather(c.Var("a", [2, 5, 3]), c.Builder.Constant(new long[] { 3 }), axis: 1)),
        ["Trilu"] = () => Case(17, c => c.Builder.Trilu(c.Var("a", [2, 4, 4]), upper: false)),

        // Resizing.
        ["Resize nearest x2 (torch interpolate)"] = () => Case(17, c => c.Builder.Resize(c.Var("a", [1, 2, 3, 4]), [1, 1, 2, 2])),
        ["Resize nearest x2 opset 11"] = () => Case(11, c => c.Builder.Resize(c.Var("a", [1, 2, 3, 4]), [1, 1, 2, 2])),
        ["Resize nearest half_pixel 1.5"] = () => Case(17, c => c.Builder.Resize(c.Var("a", [1, 2, 4, 4]), [1, 1, 1.5f, 1.5f], "nearest", "half_pixel", "round_prefer_floor")),
        ["Resize linear half_pixel up"] = () => Case(17, c => c.Builder.Resize(c.Var("a", [1, 2, 3, 5]), [1, 1, 2.5f, 1.6f], "linear", "half_pixel")),
        ["Resize linear align_corners"] = () => Case(17, c => c.Builder.ResizeTo(c.Var("a", [1, 2, 3, 5]), [1, 2, 7, 4], "linear", "align_corners")),
        ["Resize linear pytorch_half_pixel down"] = () => Case(17, c => c.Builder.ResizeTo(c.Var("a", [2, 3, 9, 7]), [2, 3, 4, 3], "linear", "pytorch_half_pixel")),
        ["Resize linear to sizes computed by a reduction"] = () => Case(17, c =>
        {
            // The reward preprocessing pattern with the shorter side found by ReduceMin (the export helper's case).
            var a = c.Var("a", [2, 3, 6, 10], declared: ["batch", 3, "height", "width"]);
            var hw = c.Builder.Slice(c.Builder.Shape(a), [2], [4]);
            var shorter = c.Builder.Op("ReduceMin", [hw], Attr.Int("keepdims", 1));
            var sizes = c.Builder.Concat(0, c.Builder.Slice(c.Builder.Shape(a), [0], [2]), c.Builder.Div(c.Builder.Mul(hw, c.Builder.Ints(4)), shorter));
            return c.Builder.Op("Resize", [a, Value.None, Value.None, sizes], Attr.String("mode", "linear"), Attr.String("coordinate_transformation_mode", "half_pixel"));
        }),
        ["Expand to a computed shape, then Gather"] = () => Case(17, c =>
        {
            // torch's class_embedding.expand(B, -1): the target goes through Where, only its length is known.
            var a = c.Var("a", [1, 5]);
            var batch = c.IntInput("batch", [3], [1]);
            var target = c.Builder.Where(c.Builder.Equal(c.Builder.Ints(-1, -1), c.Builder.Ints(1, -1)), c.Builder.Concat(0, batch, c.Builder.Ints(5)), c.Builder.Concat(0, batch, c.Builder.Ints(5)));
            return c.Builder.Gather(c.Builder.Expand(a, target), c.Builder.Constant(new long[] { 1 }), axis: 1);
        }),
        ["Resize cubic"] = () => Case(17, c => c.Builder.Resize(c.Var("a", [1, 1, 4, 5]), [1, 1, 1.75f, 1.5f], "cubic", "half_pixel")),
        ["Resize linear to in-graph sizes"] = () => Case(17, c =>
        {
            var a = c.Var("a", [2, 3, 6, 10], declared: ["batch", 3, "height", "width"]);
            var sizes = c.Builder.Concat(0, c.Builder.Slice(c.Builder.Shape(a), [0], [2]), c.Builder.Ints(4, 4));
            return c.Builder.Op("Resize", [a, Value.None, Value.None, sizes], Attr.String("mode", "linear"), Attr.String("coordinate_transformation_mode", "half_pixel"));
        }),
    };

    public static TheoryData<string> Names() => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void Gradient_matches_central_finite_differences(string name)
    {
        var c = Cases[name]();
        foreach (var r in GradientChecker.AssertMatches(c.Builder.ToModel(), "y", c.Inputs, c.Wrt, c.Tolerance, c.Step))
        {
            output.WriteLine($"GRADCHECK|{name}|{r.Input}|{r.RelativeError:E2}|{r.WorstCoordinateError:E2}");
        }
    }

    private static OpCase Case(int opset, Func<OpCase, Value> build)
    {
        var c = new OpCase(opset);
        c.Builder.Output(build(c), "y", ElementType.Float, null);
        return c;
    }

    private static OpCase Unary(Func<GraphBuilder, Func<Value, Value>> op, float low = -1f, float high = 1f)
    {
        var c = new OpCase(17);
        var x = c.Var("x", [3, 4], low, high);
        c.Builder.Output(op(c.Builder)(x), "y", ElementType.Float, null);
        return c;
    }
}
