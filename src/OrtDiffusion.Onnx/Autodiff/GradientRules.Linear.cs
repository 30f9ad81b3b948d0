using OrtDiffusion.Onnx.Building;
using OrtDiffusion.Onnx.Shapes;

namespace OrtDiffusion.Onnx.Autodiff;

// Matrix products and convolutions.
internal static partial class GradientRules
{
    private static void AddLinear(Dictionary<string, Action<GradientContext>> t)
    {
        t["MatMul"] = MatMul;
        t["Gemm"] = Gemm;
        t["Conv"] = Conv;
        t["Einsum"] = Einsum;
    }

    private static Value SwapLastTwo(GradientContext c, Value v)
    {
        var rank = c.Rank(v);
        var perm = Enumerable.Range(0, rank).Select(i => (long)i).ToArray();
        (perm[rank - 1], perm[rank - 2]) = (perm[rank - 2], perm[rank - 1]);
        return c.B.Transpose(v, perm);
    }

    // Y = A·B with numpy batch broadcasting: dA = dY·Bᵀ, dB = Aᵀ·dY, each summed over broadcast batch dims.
    private static void MatMul(GradientContext c)
    {
        var a = c.X(0);
        var b = c.X(1);
        if (c.Rank(a) < 2 || c.Rank(b) < 2)
        {
            throw c.Fail("supports operands of rank 2 or more (a 1-D operand was given)");
        }

        var dy = c.Dy()!.Value;
        var ys = c.Facts(c.Y()).Shape;
        var sa = c.Facts(a).Shape;
        var sb = c.Facts(b).Shape;
        if (c.Wants(0))
        {
            // dY·Bᵀ has Y's batch dims, then [m, k].
            SymDim[]? shape = ys is null || sa is null ? null : [.. ys[..^1], sa[^1]];
            c.SetDx(0, c.SumToShape(c.B.MatMul(dy, SwapLastTwo(c, b)), a, shape));
        }

        if (c.Wants(1))
        {
            // Aᵀ·dY has Y's batch dims, then [k, n].
            SymDim[]? shape = ys is null || sb is null ? null : [.. ys[..^2], sb[^2], sb[^1]];
            c.SetDx(1, c.SumToShape(c.B.MatMul(SwapLastTwo(c, a), dy), b, shape));
        }
    }

    // Y = alpha·A'·B' + beta·C with A' = transA ? Aᵀ : A and B' likewise.
    private static void Gemm(GradientContext c)
    {
        var a = c.X(0);
        var b = c.X(1);
        var transA = c.Int("transA", 0) != 0;
        var transB = c.Int("transB", 0) != 0;
        var alpha = c.Float("alpha", 1f);
        var beta = c.Float("beta", 1f);
        var dy = c.Dy()!.Value;

        Value Product(Value left, Value right, bool tl, bool tr) =>
            c.B.Op("Gemm", [left, right], Attr.Float("alpha", alpha), Attr.Int("transA", tl ? 1 : 0), Attr.Int("transB", tr ? 1 : 0));

        if (c.Wants(0))
        {
            // dA' = dY·B'ᵀ; when transA, dA = (dA')ᵀ = B'·dYᵀ.
            c.SetDx(0, transA ? Product(b, dy, transB, true) : Product(dy, b, false, !transB));
        }

        if (c.Wants(1))
        {
            // dB' = A'ᵀ·dY; when transB, dB = (dB')ᵀ = dYᵀ·A'.
            c.SetDx(1, transB ? Product(dy, a, true, transA) : Product(a, dy, !transA, false));
        }

        if (c.Wants(2))
        {
            var scaled = beta == 1f ? dy : c.B.Mul(dy, c.Scalar(beta));
            c.SetDx(2, c.SumToShape(scaled, c.X(2)));
        }
    }

    // dX is the transposed convolution of dY (with the largest output padding, then cropped to X's size);
    // dW correlates X with dY (batch taken as channels); dB sums dY over batch and space.
    private static void Conv(GradientContext c)
    {
        var x = c.X(0);
        var w = c.X(1);
        var rank = c.Rank(x);
        var spatial = rank - 2;
        if (c.String("auto_pad", "NOTSET") is not ("NOTSET" or "VALID"))
        {
            throw c.Fail("supports explicit pads only (auto_pad SAME_* is not supported)");
        }

        var strides = c.Ints("strides") ?? [.. Enumerable.Repeat(1L, spatial)];
        var dilations = c.Ints("dilations") ?? [.. Enumerable.Repeat(1L, spatial)];
        var pads = c.String("auto_pad", "NOTSET") == "VALID" ? new long[2 * spatial] : c.Ints("pads") ?? new long[2 * spatial];
        var group = c.Int("group", 1);
        var dy = c.Dy()!.Value;

        if (c.Wants(0))
        {
            var attributes = new List<Proto.AttributeProto>
            {
                Attr.Ints("strides", strides),
                Attr.Ints("dilations", dilations),
                Attr.Ints("pads", pads),
                Attr.Int("group", group),
                Attr.Ints("output_padding", [.. strides.Select(s => s - 1)]),
            };
            if (c.Ints("kernel_shape") is { } kernel)
            {
                attributes.Add(Attr.Ints("kernel_shape", kernel));
            }

            var dx = c.B.Op("ConvTranspose", [dy, w], [.. attributes]);
            if (strides.Any(s => s != 1))
            {
                var axes = Enumerable.Range(2, spatial).Select(i => (long)i).ToArray();
                var ends = c.B.Slice(c.B.Shape(x), [2], [rank]);
                dx = c.B.Slice(dx, c.B.Ints(new long[spatial]), ends, c.B.Ints(axes));
            }

            c.SetDx(0, dx);
        }

        if (c.Wants(1))
        {
            if (group != 1)
            {
                throw c.Fail("supports weight gradients for group 1 only");
            }

            var swap = new long[rank];
            swap[0] = 1;
            swap[1] = 0;
            for (var i = 2; i < rank; i++)
            {
                swap[i] = i;
            }

            var correlation = c.B.Op(
                "Conv",
                [c.B.Transpose(x, swap), c.B.Transpose(dy, swap)],
                Attr.Ints("strides", dilations),
                Attr.Ints("dilations", strides),
                Attr.Ints("pads", pads));
            var kernelShape = c.Ints("kernel_shape") ?? c.Facts(w).Shape?[2..].Select(d => c.Shapes.Dims.Resolve(d)).Select(d => d.IsFixed ? d.FixedValue : -1).ToArray()
                ?? throw c.Fail("needs the kernel size");
            if (kernelShape.Any(k => k < 0))
            {
                throw c.Fail("needs a fixed kernel size");
            }

            var cropped = c.B.Slice(correlation, new long[spatial], kernelShape, [.. Enumerable.Range(2, spatial).Select(i => (long)i)]);
            c.SetDx(1, c.B.Transpose(cropped, swap));
        }

        if (c.HasInput(2) && c.Wants(2))
        {
            var axes = new[] { 0L }.Concat(Enumerable.Range(2, spatial).Select(i => (long)i)).ToArray();
            c.SetDx(2, c.B.ReduceSum(dy, axes, keepDims: false));
        }
    }

    // For "t1,t2->out", operand i's gradient is einsum("out,others->ti") of the output gradient and the others.
    private static void Einsum(GradientContext c)
    {
        var equation = c.String("equation", string.Empty).Replace(" ", string.Empty, StringComparison.Ordinal);
        if (equation.Contains("...", StringComparison.Ordinal))
        {
            throw c.Fail("does not support ellipses in the equation");
        }

        var arrow = equation.IndexOf("->", StringComparison.Ordinal);
        var terms = (arrow < 0 ? equation : equation[..arrow]).Split(',');
        var output = arrow < 0 ? ImplicitEinsumOutput(terms) : equation[(arrow + 2)..];
        foreach (var term in terms)
        {
            if (term.Distinct().Count() != term.Length)
            {
                throw c.Fail($"does not support repeated indices within one operand ('{term}')");
            }
        }

        var dy = c.Dy()!.Value;
        for (var i = 0; i < terms.Length; i++)
        {
            if (!c.Wants(i))
            {
                continue;
            }

            var others = Enumerable.Range(0, terms.Length).Where(j => j != i).ToArray();
            var available = output + string.Concat(others.Select(j => terms[j]));
            if (terms[i].Any(l => !available.Contains(l)))
            {
                throw c.Fail($"does not support indices summed within one operand only ('{terms[i]}')");
            }

            var gradientEquation = string.Join(",", new[] { output }.Concat(others.Select(j => terms[j]))) + "->" + terms[i];
            c.SetDx(i, c.B.Einsum(gradientEquation, [dy, .. others.Select(c.X)]));
        }
    }

    private static string ImplicitEinsumOutput(string[] terms)
    {
        var counts = terms.SelectMany(t => t).GroupBy(l => l).Where(g => g.Count() == 1).Select(g => g.Key);
        return string.Concat(counts.Order());
    }
}
