namespace OrtDiffusion.Onnx.Shapes;

// Operators with weights, normalisations, resizing and reductions.
internal static partial class InferenceRules
{
    private static void AddLayerOps(Dictionary<string, Func<InferenceContext, ValueFacts[]>> t)
    {
        t["Conv"] = Conv;
        t["ConvTranspose"] = ConvTranspose;
        t["MatMul"] = MatMul;
        t["Gemm"] = Gemm;
        t["LayerNormalization"] = LayerNormalization;
        t["Resize"] = Resize;
        t["Upsample"] = Resize;
        t["Einsum"] = Einsum;
    }

    private static void AddReductions(Dictionary<string, Func<InferenceContext, ValueFacts[]>> t)
    {
        foreach (var op in new[] { "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceLogSumExp", "ReduceSumSquare" })
        {
            t[op] = Reduce;
        }

        t["ArgMax"] = ArgReduce;
        t["ArgMin"] = ArgReduce;
    }

    private static ValueFacts[] Conv(InferenceContext c)
    {
        var x = c.Input(0);
        var w = c.Input(1);
        if (x.Shape is null)
        {
            return [new ValueFacts { Type = x.Type }];
        }

        var spatial = x.Shape.Length - 2;
        var kernel = c.Ints("kernel_shape") ?? (w.Shape is { } ws ? ws[2..].Select(d => c.Dims.Resolve(d).IsFixed ? c.Dims.Resolve(d).FixedValue : -1).ToArray() : null);
        var strides = c.Ints("strides") ?? [.. Enumerable.Repeat(1L, spatial)];
        var dilations = c.Ints("dilations") ?? [.. Enumerable.Repeat(1L, spatial)];
        var pads = c.Ints("pads") ?? new long[2 * spatial];
        var autoPad = c.String("auto_pad", "NOTSET");
        var shape = new SymDim[x.Shape.Length];
        shape[0] = x.Shape[0];
        shape[1] = w.Shape is { } wShape ? wShape[0] : c.Fresh();
        for (var i = 0; i < spatial; i++)
        {
            var input = c.Dims.Resolve(x.Shape[i + 2]);
            var k = kernel?[i] ?? -1;
            if (autoPad is "SAME_UPPER" or "SAME_LOWER")
            {
                shape[i + 2] = strides[i] == 1 ? input : input.IsFixed ? SymDim.Of((input.FixedValue + strides[i] - 1) / strides[i]) : c.Fresh();
                continue;
            }

            var span = k < 0 ? -1 : (dilations[i] * (k - 1)) + 1;
            var padTotal = autoPad == "VALID" ? 0 : pads[i] + pads[i + spatial];
            if (span > 0 && strides[i] == 1 && padTotal == span - 1)
            {
                shape[i + 2] = input; // "same" convolution keeps the size's symbol
            }
            else if (span > 0 && input.IsFixed)
            {
                shape[i + 2] = SymDim.Of(((input.FixedValue + padTotal - span) / strides[i]) + 1);
            }
            else
            {
                shape[i + 2] = c.Fresh();
            }
        }

        return [new ValueFacts { Type = x.Type, Shape = shape }];
    }

    private static ValueFacts[] ConvTranspose(InferenceContext c)
    {
        var x = c.Input(0);
        var w = c.Input(1);
        if (x.Shape is null)
        {
            return [new ValueFacts { Type = x.Type }];
        }

        var group = c.Int("group", 1);
        var shape = new SymDim[x.Shape.Length];
        shape[0] = x.Shape[0];
        shape[1] = w.Shape is { } ws && c.Dims.Resolve(ws[1]).IsFixed ? SymDim.Of(c.Dims.Resolve(ws[1]).FixedValue * group) : c.Fresh();
        for (var i = 2; i < shape.Length; i++)
        {
            shape[i] = c.Fresh();
        }

        return [new ValueFacts { Type = x.Type, Shape = shape }];
    }

    private static ValueFacts[] MatMul(InferenceContext c)
    {
        var a = c.Input(0);
        var b = c.Input(1);
        if (a.Shape is null || b.Shape is null)
        {
            return [new ValueFacts { Type = a.Type }];
        }

        var sa = a.Shape.Length == 1 ? [SymDim.Of(1), a.Shape[0]] : a.Shape;
        var sb = b.Shape.Length == 1 ? [b.Shape[0], SymDim.Of(1)] : b.Shape;
        c.Dims.Unify(sa[^1], sb[^2]);
        var batch = c.Broadcast(sa[..^2], sb[..^2])!;
        var shape = new List<SymDim>(batch);
        if (a.Shape.Length > 1)
        {
            shape.Add(sa[^2]);
        }

        if (b.Shape.Length > 1)
        {
            shape.Add(sb[^1]);
        }

        return [new ValueFacts { Type = a.Type, Shape = [.. shape] }];
    }

    private static ValueFacts[] Gemm(InferenceContext c)
    {
        var a = c.Input(0);
        var b = c.Input(1);
        if (a.Shape is not { Length: 2 } || b.Shape is not { Length: 2 })
        {
            return [new ValueFacts { Type = a.Type, Shape = c.FreshShape(2) }];
        }

        var transA = c.Int("transA", 0) != 0;
        var transB = c.Int("transB", 0) != 0;
        var m = transA ? a.Shape[1] : a.Shape[0];
        var ka = transA ? a.Shape[0] : a.Shape[1];
        var kb = transB ? b.Shape[1] : b.Shape[0];
        var n = transB ? b.Shape[0] : b.Shape[1];
        c.Dims.Unify(ka, kb);
        return [new ValueFacts { Type = a.Type, Shape = [m, n] }];
    }

    private static ValueFacts[] LayerNormalization(InferenceContext c)
    {
        var x = c.Input(0);
        if (x.Shape is null)
        {
            return [new ValueFacts { Type = x.Type }, new ValueFacts { Type = ElementType.Float }, new ValueFacts { Type = ElementType.Float }];
        }

        var axis = InferenceContext.Axis(c.Int("axis", -1), x.Shape.Length);
        SymDim[] stats = [.. x.Shape[..axis], .. Enumerable.Repeat(SymDim.Of(1), x.Shape.Length - axis)];
        var statType = (ElementType)c.Int("stash_type", 1);
        return [c.SameShape(0), new ValueFacts { Type = statType, Shape = stats }, new ValueFacts { Type = statType, Shape = stats }];
    }

    private static ValueFacts[] Resize(InferenceContext c)
    {
        var x = c.Input(0);
        if (x.Shape is null)
        {
            return [new ValueFacts { Type = x.Type }];
        }

        var rank = x.Shape.Length;
        var shape = new SymDim[rank];
        var scalesIndex = c.Node.OpType == "Upsample" ? 1 : c.Opset >= 11 ? 2 : 1;
        var scales = c.Input(scalesIndex).ConstantFloats ?? NodeAttributes.Floats(c.Node, "scales");
        var sizes = c.Opset >= 11 && c.Node.OpType == "Resize" ? c.DimValues(3) : null;
        for (var i = 0; i < rank; i++)
        {
            var d = c.Dims.Resolve(x.Shape[i]);
            if (sizes is { } s && s.Length == rank)
            {
                shape[i] = s[i];
            }
            else if (scales is { } f && f.Length == rank)
            {
                shape[i] = f[i] == 1f ? d : d.IsFixed ? SymDim.Of((long)Math.Floor(d.FixedValue * (double)f[i])) : c.Fresh();
            }
            else
            {
                shape[i] = c.Fresh();
            }
        }

        return [new ValueFacts { Type = x.Type, Shape = shape }];
    }

    private static ValueFacts[] Einsum(InferenceContext c)
    {
        var equation = c.String("equation", string.Empty).Replace(" ", string.Empty, StringComparison.Ordinal);
        var type = c.Input(0).Type;
        var arrow = equation.IndexOf("->", StringComparison.Ordinal);
        if (arrow < 0 || equation.Contains("...", StringComparison.Ordinal))
        {
            return [new ValueFacts { Type = type }];
        }

        var terms = equation[..arrow].Split(',');
        var letters = new Dictionary<char, SymDim>();
        for (var i = 0; i < terms.Length; i++)
        {
            if (c.Input(i).Shape is not { } shape || shape.Length != terms[i].Length)
            {
                continue;
            }

            for (var j = 0; j < shape.Length; j++)
            {
                var letter = terms[i][j];
                if (!letters.TryGetValue(letter, out var seen) || c.Dims.Resolve(seen).IsOne)
                {
                    letters[letter] = shape[j];
                }
                else if (!c.Dims.Resolve(shape[j]).IsOne)
                {
                    letters[letter] = c.Dims.Unify(seen, shape[j]);
                }
            }
        }

        var output = equation[(arrow + 2)..];
        if (output.Any(l => !letters.ContainsKey(l)))
        {
            return [new ValueFacts { Type = type }];
        }

        return [new ValueFacts { Type = type, Shape = [.. output.Select(l => letters[l])] }];
    }

    private static ValueFacts[] Reduce(InferenceContext c)
    {
        var x = c.Input(0);
        var keep = c.Int("keepdims", 1) != 0;
        if (x.Shape is null)
        {
            return [new ValueFacts { Type = x.Type }];
        }

        var rank = x.Shape.Length;
        var axes = c.Axes(1);
        if (axes is null && c.HasInput(1))
        {
            return [new ValueFacts { Type = x.Type, Shape = keep ? c.FreshShape(rank) : null }];
        }

        var noop = c.Int("noop_with_empty_axes", 0) != 0;
        if ((axes is null || axes.Length == 0) && noop)
        {
            return [c.SameShape(0)];
        }

        var reduced = axes is null || axes.Length == 0
            ? Enumerable.Range(0, rank).ToHashSet()
            : axes.Select(a => InferenceContext.Axis(a, rank)).ToHashSet();
        var shape = new List<SymDim>();
        for (var i = 0; i < rank; i++)
        {
            if (!reduced.Contains(i))
            {
                shape.Add(x.Shape[i]);
            }
            else if (keep)
            {
                shape.Add(SymDim.Of(1));
            }
        }

        return [new ValueFacts { Type = x.Type, Shape = [.. shape] }];
    }

    private static ValueFacts[] ArgReduce(InferenceContext c)
    {
        var x = c.Input(0);
        if (x.Shape is null)
        {
            return [new ValueFacts { Type = ElementType.Int64 }];
        }

        var axis = InferenceContext.Axis(c.Int("axis", 0), x.Shape.Length);
        var keep = c.Int("keepdims", 1) != 0;
        var shape = x.Shape.ToList();
        if (keep)
        {
            shape[axis] = SymDim.Of(1);
        }
        else
        {
            shape.RemoveAt(axis);
        }

        return [new ValueFacts { Type = ElementType.Int64, Shape = [.. shape] }];
    }
}
