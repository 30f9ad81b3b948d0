using OrtDiffusion.Onnx.Building;

namespace OrtDiffusion.Onnx.Autodiff;

// Softmax, normalisation layers and reductions.
internal static partial class GradientRules
{
    private static void AddNormalization(Dictionary<string, Action<GradientContext>> t)
    {
        t["Softmax"] = Softmax;
        t["LogSoftmax"] = LogSoftmax;
        t["InstanceNormalization"] = InstanceNormalization;
        t["LayerNormalization"] = LayerNormalization;
        t["ReduceSum"] = c => Reduce(c, (dy, _) => dy);
        t["ReduceMean"] = c => Reduce(c, (dy, _) =>
        {
            var ratio = c.B.Div(c.B.Cast(c.B.Op("Size", [c.Y()]), c.FloatType), c.B.Cast(c.B.Op("Size", [c.X(0)]), c.FloatType));
            return c.B.Mul(dy, ratio);
        });
        t["ReduceL2"] = c => Reduce(c, (dy, y) => c.B.Mul(dy, c.B.Div(c.X(0), y())));
        t["ReduceSumSquare"] = c => Reduce(c, (dy, _) => c.B.Mul(dy, c.B.Mul(c.X(0), c.Scalar(2f))));
        t["ReduceLogSumExp"] = c => Reduce(c, (dy, y) => c.B.Mul(dy, c.B.Exp(c.B.Sub(c.X(0), y()))));
        t["ReduceMax"] = c => Reduce(c, (dy, y) => c.Select(c.B.Equal(c.X(0), y()), dy, 0f));
        t["ReduceMin"] = c => Reduce(c, (dy, y) => c.Select(c.B.Equal(c.X(0), y()), dy, 0f));
    }

    // Before opset 13 Softmax flattens at `axis`; that equals the per-axis form only for the last axis.
    private static long SoftmaxAxis(GradientContext c)
    {
        var rank = c.Rank(c.X(0));
        var axis = c.Int("axis", c.Opset >= 13 ? -1 : 1);
        var normalised = axis < 0 ? axis + rank : axis;
        if (c.Opset < 13 && normalised != rank - 1)
        {
            throw c.Fail("supports the last axis only before opset 13");
        }

        return normalised;
    }

    // dx = y ⊙ (dy − Σ(dy ⊙ y)) over the axis.
    private static void Softmax(GradientContext c)
    {
        var axis = SoftmaxAxis(c);
        var dy = c.Dy()!.Value;
        var y = c.Y();
        var inner = c.B.ReduceSum(c.B.Mul(dy, y), [axis], keepDims: true);
        c.SetDx(0, c.B.Mul(y, c.B.Sub(dy, inner)));
    }

    // dx = dy − softmax(x) ⊙ Σ dy over the axis.
    private static void LogSoftmax(GradientContext c)
    {
        var axis = SoftmaxAxis(c);
        var dy = c.Dy()!.Value;
        var total = c.B.ReduceSum(dy, [axis], keepDims: true);
        c.SetDx(0, c.B.Sub(dy, c.B.Mul(c.B.Exp(c.Y()), total)));
    }

    // The normalised value x̂ and 1/σ over `axes`, recomputed from the forward input.
    private static (Value Normalised, Value InverseStd) Standardise(GradientContext c, Value x, long[] axes, float epsilon)
    {
        var centred = c.B.Sub(x, c.B.ReduceMean(x, axes));
        var variance = c.B.ReduceMean(c.B.Mul(centred, centred), axes);
        var inverseStd = c.B.Reciprocal(c.B.Sqrt(c.B.Add(variance, c.Scalar(epsilon))));
        return (c.B.Mul(centred, inverseStd), inverseStd);
    }

    // dx = (1/σ)·(ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) with ĝ = dy·γ, means over the normalised axes.
    private static Value NormalisationInputGradient(GradientContext c, Value scaledGradient, Value normalised, Value inverseStd, long[] axes)
    {
        var meanGradient = c.B.ReduceMean(scaledGradient, axes);
        var meanProjection = c.B.ReduceMean(c.B.Mul(scaledGradient, normalised), axes);
        var centred = c.B.Sub(c.B.Sub(scaledGradient, meanGradient), c.B.Mul(normalised, meanProjection));
        return c.B.Mul(centred, inverseStd);
    }

    private static void InstanceNormalization(GradientContext c)
    {
        var x = c.X(0);
        var rank = c.Rank(x);
        var spatial = Enumerable.Range(2, rank - 2).Select(i => (long)i).ToArray();
        var epsilon = c.Float("epsilon", 1e-5f);
        var dy = c.Dy()!.Value;
        var (normalised, inverseStd) = Standardise(c, x, spatial, epsilon);
        if (c.Wants(0))
        {
            var channelScale = c.B.Unsqueeze(c.X(1), [.. Enumerable.Range(1, rank - 2).Select(i => (long)i)]);
            c.SetDx(0, NormalisationInputGradient(c, c.B.Mul(dy, channelScale), normalised, inverseStd, spatial));
        }

        var batchAndSpace = new[] { 0L }.Concat(spatial).ToArray();
        if (c.Wants(1))
        {
            c.SetDx(1, c.B.ReduceSum(c.B.Mul(dy, normalised), batchAndSpace, keepDims: false));
        }

        if (c.Wants(2))
        {
            c.SetDx(2, c.B.ReduceSum(dy, batchAndSpace, keepDims: false));
        }
    }

    private static void LayerNormalization(GradientContext c)
    {
        if (c.Node.Output.Count > 1 && (c.Dy(1) is not null || c.Dy(2) is not null))
        {
            throw c.Fail("supports gradients of the normalised output only, not of Mean or InvStdDev");
        }

        var x = c.X(0);
        var rank = c.Rank(x);
        var axis = c.Int("axis", -1);
        var first = axis < 0 ? axis + rank : axis;
        var axes = Enumerable.Range((int)first, rank - (int)first).Select(i => (long)i).ToArray();
        var epsilon = c.Float("epsilon", 1e-5f);
        var dy = c.Dy()!.Value;
        var (normalised, inverseStd) = Standardise(c, x, axes, epsilon);
        if (c.Wants(0))
        {
            c.SetDx(0, NormalisationInputGradient(c, c.B.Mul(dy, c.X(1)), normalised, inverseStd, axes));
        }

        if (c.Wants(1))
        {
            c.SetDx(1, c.SumToShape(c.B.Mul(dy, normalised), c.X(1)));
        }

        if (c.HasInput(2) && c.Wants(2))
        {
            c.SetDx(2, c.SumToShape(dy, c.X(2)));
        }
    }

    // Broadcast the output gradient (and output) back over the reduced axes, then apply the local derivative.
    private static void Reduce(GradientContext c, Func<Value, Func<Value>, Value> local)
    {
        var x = c.X(0);
        var rank = c.Rank(x);
        var keep = c.Int("keepdims", 1) != 0;
        var axes = c.Axes(1);
        var dy = c.Dy()!.Value;
        if ((axes is null || axes.Length == 0) && c.Int("noop_with_empty_axes", 0) != 0)
        {
            c.SetDx(0, local(dy, () => c.Y()));
            return;
        }

        var reduced = axes is null || axes.Length == 0
            ? Enumerable.Range(0, rank).Select(i => (long)i).ToArray()
            : axes.Select(a => a < 0 ? a + rank : a).Order().ToArray();
        var dyKept = keep ? dy : c.B.Unsqueeze(dy, reduced);
        var shape = c.B.Shape(x);
        Value ExpandedOutput() => c.B.Expand(keep ? c.Y() : c.B.Unsqueeze(c.Y(), reduced), shape);
        c.SetDx(0, local(c.B.Expand(dyKept, shape), ExpandedOutput));
    }
}
