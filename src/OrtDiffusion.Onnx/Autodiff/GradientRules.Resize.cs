using OrtDiffusion.Onnx.Building;
using OrtDiffusion.Onnx.Shapes;

namespace OrtDiffusion.Onnx.Autodiff;

// Resize is linear in its input: per resized axis Y = A·X with an interpolation matrix A [out, in], so
// dX = Aᵀ·dY. Integer nearest upsampling (torch's interpolate(scale_factor=k)) takes a fast path:
// each input pixel owns a k×k block of the output, so dX is a block sum.
internal static partial class GradientRules
{
    private static void AddResize(Dictionary<string, Action<GradientContext>> t)
    {
        t["Resize"] = Resize;
        t["Upsample"] = Resize;
    }

    private sealed record ResizeSettings(string Mode, string CoordinateMode, string NearestMode, float CubicA, int ScalesInput, int SizesInput);

    private static ResizeSettings ReadResize(GradientContext c)
    {
        var legacy = c.Node.OpType == "Upsample" || c.Opset < 11;
        var mode = c.String("mode", "nearest");
        if (c.Int("antialias", 0) != 0)
        {
            throw c.Fail("does not support antialias");
        }

        if (c.Int("exclude_outside", 0) != 0)
        {
            throw c.Fail("does not support exclude_outside");
        }

        if (c.String("keep_aspect_ratio_policy", "stretch") != "stretch" || c.Ints("axes") is not null)
        {
            throw c.Fail("does not support the axes or keep_aspect_ratio_policy attributes");
        }

        return new ResizeSettings(
            mode,
            legacy ? "asymmetric" : c.String("coordinate_transformation_mode", "half_pixel"),
            legacy ? "floor" : c.String("nearest_mode", "round_prefer_floor"),
            c.Float("cubic_coeff_a", -0.75f),
            legacy ? 1 : 2,
            legacy ? -1 : 3);
    }

    private static void Resize(GradientContext c)
    {
        var settings = ReadResize(c);
        var x = c.X(0);
        var rank = c.Rank(x);
        var scales = c.HasInput(settings.ScalesInput) ? c.Facts(c.X(settings.ScalesInput)).ConstantFloats : null;
        var resized = ResizedAxes(c, settings, rank, scales);
        var dy = c.Dy()!.Value;

        if (settings is { Mode: "nearest", CoordinateMode: "asymmetric", NearestMode: "floor" } && scales is not null
            && resized.All(a => scales[a] >= 1f && scales[a] == MathF.Floor(scales[a])))
        {
            c.SetDx(0, BlockSum(c, dy, x, rank, resized, scales));
            return;
        }

        var gradient = dy;
        foreach (var axis in resized)
        {
            var matrix = InterpolationMatrix(c, settings, axis, scales);
            gradient = ApplyTransposedAlongAxis(c, gradient, matrix, axis, rank);
        }

        c.SetDx(0, gradient);
    }

    // Only trailing axes may change size; leading ones must provably keep theirs.
    private static int[] ResizedAxes(GradientContext c, ResizeSettings settings, int rank, float[]? scales)
    {
        var changes = new bool?[rank];
        if (scales is not null && scales.Length == rank)
        {
            for (var i = 0; i < rank; i++)
            {
                changes[i] = scales[i] != 1f;
            }
        }
        else if (settings.SizesInput >= 0 && c.HasInput(settings.SizesInput) && c.Facts(c.X(settings.SizesInput)).DimValues is { } sizes && sizes.Length == rank
                 && c.Facts(c.X(0)).Shape is { } inputShape)
        {
            for (var i = 0; i < rank; i++)
            {
                changes[i] = !c.Shapes.SameDim(sizes[i], inputShape[i]);
            }
        }

        var resized = new List<int>();
        for (var i = 0; i < rank; i++)
        {
            var trailing = i >= rank - 2;
            if (changes[i] == true || (changes[i] is null && trailing))
            {
                if (!trailing)
                {
                    throw c.Fail($"supports resizing the last two axes only (axis {i} changes size)");
                }

                resized.Add(i);
            }
            else if (changes[i] is null)
            {
                throw c.Fail($"cannot prove that axis {i} keeps its size");
            }
        }

        return [.. resized];
    }

    private static Value BlockSum(GradientContext c, Value dy, Value x, int rank, int[] resized, float[] scales)
    {
        var shape = c.B.Shape(x);
        var pieces = new List<Value>();
        var sumAxes = new List<long>();
        for (var i = 0; i < rank; i++)
        {
            pieces.Add(c.B.Slice(shape, [i], [i + 1]));
            if (resized.Contains(i))
            {
                pieces.Add(c.B.Ints((long)scales[i]));
                sumAxes.Add(pieces.Count - 1);
            }
        }

        var blocks = c.B.Reshape(dy, c.B.Concat(0, [.. pieces]));
        return c.B.ReduceSum(blocks, [.. sumAxes], keepDims: false);
    }

    // A [out, in] for one axis, built in-graph from the sizes so symbolic sizes work.
    private static Value InterpolationMatrix(GradientContext c, ResizeSettings s, int axis, float[]? scales)
    {
        var b = c.B;
        var type = c.FloatType;
        Value F(float v) => c.Scalar(v);
        Value AsFloat(Value v) => b.Cast(v, type);
        var inSize = b.Gather(b.Shape(c.X(0)), b.Ints(axis));
        var outSize = b.Gather(b.Shape(c.Y()), b.Ints(axis));
        var inFloat = AsFloat(inSize);
        var outFloat = AsFloat(outSize);
        var scale = scales is not null ? F(scales[axis]) : b.Div(outFloat, inFloat);
        var positions = AsFloat(b.Op("Range", [b.Constant([0L]), b.Squeeze(outSize, 0), b.Constant([1L])]));

        var source = s.CoordinateMode switch
        {
            "half_pixel" => b.Sub(b.Div(b.Add(positions, F(0.5f)), scale), F(0.5f)),
            "pytorch_half_pixel" => b.Where(b.Op("Greater", [outFloat, F(1f)]), b.Sub(b.Div(b.Add(positions, F(0.5f)), scale), F(0.5f)), b.Mul(positions, F(0f))),
            "asymmetric" => b.Div(positions, scale),
            "align_corners" => b.Where(b.Op("Greater", [outFloat, F(1f)]), b.Mul(positions, b.Div(b.Sub(inFloat, F(1f)), b.Op("Max", [b.Sub(outFloat, F(1f)), F(1f)]))), b.Mul(positions, F(0f))),
            "tf_half_pixel_for_nn" => b.Div(b.Add(positions, F(0.5f)), scale),
            var other => throw c.Fail($"does not support coordinate_transformation_mode '{other}'"),
        };

        var last = b.Sub(inFloat, F(1f));
        Value Clamp(Value v) => b.Op("Min", [b.Op("Max", [v, F(0f)]), last]);
        Value OneHot(Value index) =>
            b.Op("OneHot", [b.Cast(index, ElementType.Int64), inSize, type == ElementType.Float ? b.Constant([0f, 1f], 2) : b.Cast(b.Constant([0f, 1f], 2), type)], Attr.Int("axis", -1));
        Value Column(Value v) => b.Unsqueeze(v, 1);

        switch (s.Mode)
        {
            case "nearest":
            {
                var index = s.NearestMode switch
                {
                    "floor" => b.Op("Floor", [source]),
                    "ceil" => b.Op("Ceil", [source]),
                    "round_prefer_floor" => b.Op("Ceil", [b.Sub(source, F(0.5f))]),
                    "round_prefer_ceil" => b.Op("Floor", [b.Add(source, F(0.5f))]),
                    var other => throw c.Fail($"does not support nearest_mode '{other}'"),
                };
                return OneHot(Clamp(index));
            }

            case "linear":
            {
                var clamped = Clamp(source);
                var low = b.Op("Floor", [clamped]);
                var high = b.Op("Min", [b.Add(low, F(1f)), last]);
                var fraction = b.Sub(clamped, low);
                return b.Add(b.Mul(OneHot(low), Column(b.Sub(F(1f), fraction))), b.Mul(OneHot(high), Column(fraction)));
            }

            case "cubic":
            {
                var low = b.Op("Floor", [source]);
                var t = b.Sub(source, low);
                Value? matrix = null;
                for (var j = -1; j <= 2; j++)
                {
                    var distance = b.Abs(b.Sub(t, F(j)));
                    var weight = CubicWeight(c, distance, s.CubicA);
                    var tap = b.Mul(OneHot(Clamp(b.Add(low, F(j)))), Column(weight));
                    matrix = matrix is { } m ? b.Add(m, tap) : tap;
                }

                return matrix!.Value;
            }

            default:
                throw c.Fail($"does not support mode '{s.Mode}'");
        }
    }

    // Keys' cubic convolution kernel with parameter a (ONNX's cubic_coeff_a).
    private static Value CubicWeight(GradientContext c, Value d, float a)
    {
        var b = c.B;
        Value F(float v) => c.Scalar(v);
        var d2 = b.Mul(d, d);
        var d3 = b.Mul(d2, d);
        var near = b.Add(b.Sub(b.Mul(d3, F(a + 2f)), b.Mul(d2, F(a + 3f))), F(1f));
        var far = b.Add(b.Sub(b.Add(b.Mul(d3, F(a)), b.Mul(d, F(8f * a))), b.Mul(d2, F(5f * a))), F(-4f * a));
        var inner = b.Op("Not", [b.Op("Greater", [d, F(1f)])]);
        var outer = b.Op("Less", [d, F(2f)]);
        return b.Where(inner, near, b.Where(outer, far, F(0f)));
    }

    // dX along `axis` = Aᵀ·dY along that axis; the last axis multiplies on the right.
    private static Value ApplyTransposedAlongAxis(GradientContext c, Value gradient, Value matrix, int axis, int rank)
    {
        if (axis == rank - 1)
        {
            return c.B.MatMul(gradient, matrix);
        }

        return c.B.MatMul(c.B.Transpose(matrix, 1, 0), gradient);
    }
}
