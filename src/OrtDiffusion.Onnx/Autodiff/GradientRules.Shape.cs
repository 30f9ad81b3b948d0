using OrtDiffusion.Onnx.Building;

namespace OrtDiffusion.Onnx.Autodiff;

// Data movement: the gradient is moved back the way the data came.
internal static partial class GradientRules
{
    private static void AddShape(Dictionary<string, Action<GradientContext>> t)
    {
        foreach (var op in new[] { "Reshape", "Flatten", "Squeeze", "Unsqueeze" })
        {
            t[op] = c => c.SetDx(0, c.B.Reshape(c.Dy()!.Value, c.B.Shape(c.X(0))));
        }

        t["Transpose"] = Transpose;
        t["Concat"] = Concat;
        t["Split"] = Split;
        t["Slice"] = Slice;
        t["Pad"] = Pad;
        t["Expand"] = c => c.SetDx(0, c.SumToShape(c.Dy()!.Value, c.X(0)));
        t["Gather"] = Gather;
        t["Trilu"] = c =>
        {
            var inputs = c.HasInput(1) ? new[] { c.Dy()!.Value, c.X(1) } : [c.Dy()!.Value];
            c.SetDx(0, c.B.Op("Trilu", inputs, Attr.Int("upper", c.Int("upper", 1))));
        };
    }

    private static void Transpose(GradientContext c)
    {
        var rank = c.Rank(c.X(0));
        var perm = c.Ints("perm") ?? [.. Enumerable.Range(0, rank).Reverse().Select(i => (long)i)];
        var inverse = new long[perm.Length];
        for (var i = 0; i < perm.Length; i++)
        {
            inverse[perm[i]] = i;
        }

        c.SetDx(0, c.B.Transpose(c.Dy()!.Value, inverse));
    }

    // Each input receives its own stretch of the output gradient along the axis.
    private static void Concat(GradientContext c)
    {
        if (c.Opset < 13)
        {
            throw c.Fail("needs opset 13 or later (Split with sizes as an input)");
        }

        var rank = c.Rank(c.Y());
        var axis = c.Int("axis", 0);
        axis = axis < 0 ? axis + rank : axis;
        var dy = c.Dy()!.Value;
        var sizes = Enumerable.Range(0, c.Node.Input.Count).Select(i => AxisSize(c, c.X(i), axis)).ToArray();
        var sizeValues = sizes.Select((s, i) => s is long n ? c.B.Ints(n) : c.B.Gather(c.B.Shape(c.X(i)), c.B.Ints(axis))).ToArray();
        var parts = c.B.Op("Split", [dy, c.B.Concat(0, sizeValues)], c.Node.Input.Count, Attr.Int("axis", axis));
        for (var i = 0; i < parts.Length; i++)
        {
            c.SetDx(i, parts[i]);
        }
    }

    private static long? AxisSize(GradientContext c, Value v, long axis)
    {
        var shape = c.Facts(v).Shape;
        if (shape is null)
        {
            return null;
        }

        var d = c.Shapes.Dims.Resolve(shape[axis]);
        return d.IsFixed ? d.FixedValue : null;
    }

    private static void Split(GradientContext c)
    {
        var rank = c.Rank(c.X(0));
        var axis = c.Int("axis", 0);
        axis = axis < 0 ? axis + rank : axis;
        var parts = Enumerable.Range(0, c.Node.Output.Count).Select(c.DyOrZeros).ToArray();
        c.SetDx(0, c.B.Concat(axis, parts));
    }

    // The gradient of a step-1 slice is the output gradient padded with zeros back to the input's extent.
    private static void Slice(GradientContext c)
    {
        if (c.Opset < 12)
        {
            throw c.Fail("needs opset 12 or later (bounds as inputs, integer Min/Max)");
        }

        var x = c.X(0);
        var rank = c.Rank(x);
        var count = c.Facts(c.X(1)).Shape is [var n] && c.Shapes.Dims.Resolve(n).IsFixed ? (int)c.Shapes.Dims.Resolve(n).FixedValue : -1;
        var axes = c.HasInput(3) ? c.ConstInts(3, "axes") : count >= 0 ? [.. Enumerable.Range(0, count).Select(i => (long)i)] : throw c.Fail("needs the number of sliced axes");
        if (c.HasInput(4) && c.ConstInts(4, "steps").Any(s => s != 1))
        {
            throw c.Fail("supports step 1 only");
        }

        axes = [.. axes.Select(a => a < 0 ? a + rank : a)];
        var dims = c.B.Shape(x);
        var zero = c.B.Ints(0);
        var before = new Value[rank];
        var after = new Value[rank];
        for (var k = 0; k < rank; k++)
        {
            before[k] = zero;
            after[k] = zero;
        }

        for (var j = 0; j < axes.Length; j++)
        {
            var dim = c.B.Gather(dims, c.B.Ints(axes[j]));
            var start = ClampIndex(c, c.B.Slice(c.X(1), [j], [j + 1]), dim);
            var end = c.B.Op("Max", [ClampIndex(c, c.B.Slice(c.X(2), [j], [j + 1]), dim), start]);
            before[axes[j]] = start;
            after[axes[j]] = c.B.Sub(dim, end);
        }

        var pads = c.B.Concat(0, [.. before, .. after]);
        c.SetDx(0, c.B.Op("Pad", [c.Dy()!.Value, pads, c.Scalar(0f)], Attr.String("mode", "constant")));
    }

    // A slice bound as the Slice operator reads it: negative counts from the end, then clamped to [0, dim].
    private static Value ClampIndex(GradientContext c, Value bound, Value dim)
    {
        var b = c.Facts(bound).Type == ElementType.Int64 ? bound : c.B.Cast(bound, ElementType.Int64);
        var wrapped = c.B.Where(c.B.Op("Less", [b, c.B.Ints(0)]), c.B.Add(b, dim), b);
        return c.B.Op("Min", [c.B.Op("Max", [wrapped, c.B.Ints(0)]), dim]);
    }

    // The gradient of constant padding is the output gradient cropped back to the input.
    private static void Pad(GradientContext c)
    {
        if (c.String("mode", "constant") != "constant")
        {
            throw c.Fail("supports constant padding only");
        }

        var x = c.X(0);
        var rank = c.Rank(x);
        Value begins;
        if (c.Opset < 11)
        {
            var pads = c.Ints("pads") ?? throw c.Fail("needs pads");
            if (pads.Any(p => p < 0))
            {
                throw c.Fail("does not support negative pads");
            }

            begins = c.B.Ints(pads[..rank]);
        }
        else
        {
            if (c.HasInput(3))
            {
                throw c.Fail("does not support the axes input");
            }

            if (c.Facts(c.X(1)).ConstantInts is { } pads && pads.Any(p => p < 0))
            {
                throw c.Fail("does not support negative pads");
            }

            begins = c.B.Slice(c.X(1), [0], [rank]);
        }

        var ends = c.B.Add(begins, c.B.Shape(x));
        var axes = c.B.Ints([.. Enumerable.Range(0, rank).Select(i => (long)i)]);
        c.SetDx(0, c.B.Slice(c.Dy()!.Value, begins, ends, axes));
    }

    // Gather's gradient scatters (and adds, for repeated indices) the output gradient back into the data's
    // shape: with the gathered axis moved to the front, dData = OneHot(indices)ᵀ · dY.
    private static void Gather(GradientContext c)
    {
        if (!c.Wants(0))
        {
            return;
        }

        var data = c.X(0);
        var rank = c.Rank(data);
        var indicesRank = c.Rank(c.X(1));
        var axis = c.Int("axis", 0);
        axis = axis < 0 ? axis + rank : axis;
        var dy = c.Dy()!.Value;
        var dataShape = c.B.Shape(data);
        var depth = c.B.Gather(dataShape, c.B.Ints(axis));
        var onOff = c.FloatType == ElementType.Float ? c.B.Constant([0f, 1f], 2) : c.B.Cast(c.B.Constant([0f, 1f], 2), c.FloatType);
        var oneHot = c.B.Op("OneHot", [c.B.Reshape(c.X(1), -1), depth, onOff], Attr.Int("axis", -1)); // [k, D]

        // dY: [pre…, idx…, post…] → [idx…, pre…, post…] → [k, rest].
        var dyRank = rank - 1 + indicesRank;
        var perm = Enumerable.Range((int)axis, indicesRank)
            .Concat(Enumerable.Range(0, (int)axis))
            .Concat(Enumerable.Range((int)axis + indicesRank, dyRank - (int)axis - indicesRank))
            .Select(i => (long)i).ToArray();
        var moved = axis == 0 ? dy : c.B.Transpose(dy, perm);
        var rows = indicesRank == 0 ? c.B.Ints(1) : c.B.Reshape(c.B.Op("Size", [c.X(1)]), 1);
        var flat = c.B.Reshape(moved, c.B.Concat(0, rows, c.B.Ints(-1)));
        var scattered = c.B.MatMul(c.B.Transpose(oneHot, 1, 0), flat);

        // [D, rest] → [D, pre…, post…] → data's layout.
        var preShape = c.B.Slice(dataShape, [0], [axis]);
        var postShape = c.B.Slice(dataShape, [axis + 1], [rank]);
        var front = c.B.Reshape(scattered, c.B.Concat(0, depth, preShape, postShape));
        if (axis == 0)
        {
            c.SetDx(0, front);
            return;
        }

        var back = new long[rank];
        for (var i = 0; i < axis; i++)
        {
            back[i] = i + 1;
        }

        back[axis] = 0;
        for (var i = (int)axis + 1; i < rank; i++)
        {
            back[i] = i;
        }

        c.SetDx(0, c.B.Transpose(front, back));
    }
}
