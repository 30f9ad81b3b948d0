namespace OrtDiffusion.Onnx.Shapes;

// Shape plumbing: Shape, Gather, Reshape, Concat, Slice, … — these also track the sizes that shape tensors hold.
internal static partial class InferenceRules
{
    private static void AddShapeOps(Dictionary<string, Func<InferenceContext, ValueFacts[]>> t)
    {
        t["Shape"] = ShapeOf;
        t["Size"] = Size;
        t["ConstantOfShape"] = ConstantOfShape;
        t["Gather"] = Gather;
        t["GatherElements"] = c => [new ValueFacts { Type = c.Input(0).Type, Shape = c.Input(1).Shape }];
        t["Unsqueeze"] = Unsqueeze;
        t["Squeeze"] = Squeeze;
        t["Reshape"] = Reshape;
        t["Flatten"] = Flatten;
        t["Transpose"] = Transpose;
        t["Concat"] = Concat;
        t["Slice"] = Slice;
        t["Split"] = Split;
        t["Expand"] = Expand;
        t["Pad"] = Pad;
        t["Range"] = Range;
        t["NonZero"] = c => [new ValueFacts { Type = ElementType.Int64, Shape = c.Input(0).Rank is int r ? [SymDim.Of(r), c.Fresh()] : null }];
        t["OneHot"] = OneHot;
        t["Tile"] = c => [new ValueFacts { Type = c.Input(0).Type, Shape = c.Input(0).Rank is int r ? c.FreshShape(r) : null }];
    }

    private static ValueFacts[] ShapeOf(InferenceContext c)
    {
        var shape = c.Input(0).Shape;
        if (shape is null)
        {
            return [new ValueFacts { Type = ElementType.Int64, Shape = [c.Fresh()] }];
        }

        var start = InferenceContext.Axis(c.Int("start", 0), shape.Length);
        var end = c.Ints("end") is null && NodeAttributes.Find(c.Node, "end") is null ? shape.Length : InferenceContext.Axis(c.Int("end", shape.Length), shape.Length);
        start = Math.Clamp(start, 0, shape.Length);
        end = Math.Clamp(end, start, shape.Length);
        var dims = shape[start..end].Select(c.Dims.Resolve).ToArray();
        return
        [
            new ValueFacts
            {
                Type = ElementType.Int64,
                Shape = [SymDim.Of(dims.Length)],
                DimValues = dims,
                ConstantInts = dims.All(d => d.IsFixed) ? [.. dims.Select(d => d.FixedValue)] : null,
            },
        ];
    }

    private static ValueFacts[] Size(InferenceContext c)
    {
        var shape = c.Input(0).Shape;
        var known = shape is not null && shape.All(d => c.Dims.Resolve(d).IsFixed);
        var total = known ? shape!.Aggregate(1L, (p, d) => p * c.Dims.Resolve(d).FixedValue) : -1;
        return [new ValueFacts { Type = ElementType.Int64, Shape = [], ConstantInts = known ? [total] : null, DimValues = [known ? SymDim.Of(total) : c.Fresh()] }];
    }

    private static ValueFacts[] ConstantOfShape(InferenceContext c)
    {
        var type = NodeAttributes.Tensor(c.Node, "value") is { } v ? (ElementType)v.DataType : ElementType.Float;
        var dims = c.DimValues(0);
        SymDim[]? shape = dims;
        if (shape is null && c.Input(0).Shape is [var n] && c.Dims.Resolve(n).IsFixed)
        {
            shape = c.FreshShape((int)c.Dims.Resolve(n).FixedValue);
        }

        return [new ValueFacts { Type = type, Shape = shape }];
    }

    private static ValueFacts[] Gather(InferenceContext c)
    {
        var data = c.Input(0);
        var indices = c.Input(1);
        if (data.Shape is null || indices.Shape is null)
        {
            return [new ValueFacts { Type = data.Type }];
        }

        var axis = InferenceContext.Axis(c.Int("axis", 0), data.Shape.Length);
        SymDim[] shape = [.. data.Shape[..axis], .. indices.Shape, .. data.Shape[(axis + 1)..]];
        SymDim[]? dimValues = null;
        long[]? ints = null;
        if (data.Shape.Length == 1 && indices.ConstantInts is { } idx && (data.DimValues ?? c.DimValues(0)) is { } values)
        {
            var picked = idx.Select(i => i < 0 ? i + values.Length : i).ToArray();
            if (picked.All(i => i >= 0 && i < values.Length))
            {
                dimValues = [.. picked.Select(i => c.Dims.Resolve(values[i]))];
                ints = dimValues.All(d => d.IsFixed) ? [.. dimValues.Select(d => d.FixedValue)] : null;
            }
        }

        return [new ValueFacts { Type = data.Type, Shape = shape, DimValues = dimValues, ConstantInts = ints }];
    }

    private static ValueFacts[] Unsqueeze(InferenceContext c)
    {
        var input = c.Input(0);
        var axes = c.Axes(1);
        if (input.Shape is null || axes is null)
        {
            return [new ValueFacts { Type = input.Type }];
        }

        var rank = input.Shape.Length + axes.Length;
        var normalised = axes.Select(a => InferenceContext.Axis(a, rank)).ToHashSet();
        var shape = new SymDim[rank];
        var next = 0;
        for (var i = 0; i < rank; i++)
        {
            shape[i] = normalised.Contains(i) ? SymDim.Of(1) : input.Shape[next++];
        }

        return [new ValueFacts { Type = input.Type, Shape = shape, DimValues = input.DimValues, ConstantInts = input.ConstantInts }];
    }

    private static ValueFacts[] Squeeze(InferenceContext c)
    {
        var input = c.Input(0);
        if (input.Shape is null)
        {
            return [new ValueFacts { Type = input.Type }];
        }

        var axes = c.Axes(1);
        HashSet<int> drop;
        if (axes is null)
        {
            if (input.Shape.Any(d => !c.Dims.Resolve(d).IsFixed))
            {
                return [new ValueFacts { Type = input.Type }];
            }

            drop = [.. Enumerable.Range(0, input.Shape.Length).Where(i => c.Dims.Resolve(input.Shape[i]).IsOne)];
        }
        else
        {
            drop = [.. axes.Select(a => InferenceContext.Axis(a, input.Shape.Length))];
        }

        SymDim[] shape = [.. input.Shape.Where((_, i) => !drop.Contains(i))];
        return [new ValueFacts { Type = input.Type, Shape = shape, DimValues = input.DimValues, ConstantInts = input.ConstantInts }];
    }

    private static ValueFacts[] Reshape(InferenceContext c)
    {
        var input = c.Input(0);
        var target = c.DimValues(1);
        var targetInts = c.ConstInts(1);
        if (target is null)
        {
            return [new ValueFacts { Type = input.Type, Shape = c.Input(1).Shape is [var n] && c.Dims.Resolve(n).IsFixed ? c.FreshShape((int)c.Dims.Resolve(n).FixedValue) : null }];
        }

        var allowZero = c.Int("allowzero", 0) != 0;
        var shape = new SymDim[target.Length];
        var inferred = -1;
        for (var i = 0; i < target.Length; i++)
        {
            var raw = targetInts?[i];
            if (raw == -1)
            {
                inferred = i;
                shape[i] = c.Fresh();
            }
            else if (raw == 0 && !allowZero && input.Shape is not null && i < input.Shape.Length)
            {
                shape[i] = input.Shape[i];
            }
            else
            {
                shape[i] = target[i];
            }
        }

        if (inferred >= 0 && input.Shape is not null)
        {
            shape[inferred] = InferMissingDim(c, input.Shape, shape, inferred);
        }

        return [new ValueFacts { Type = input.Type, Shape = shape, DimValues = input.DimValues, ConstantInts = input.ConstantInts }];
    }

    // The -1 of a Reshape: the quotient of the element counts when both are known, or the one input dim left
    // after cancelling equal dims (Reshape [b,s,h,d] -> [b,s,-1] keeps nothing, [b,s,h*d] -> [b,s,h,-1] …).
    private static SymDim InferMissingDim(InferenceContext c, SymDim[] input, SymDim[] output, int missing)
    {
        var remaining = input.Select(c.Dims.Resolve).ToList();
        long knownOut = 1;
        var unknownOut = new List<SymDim>();
        for (var i = 0; i < output.Length; i++)
        {
            if (i == missing)
            {
                continue;
            }

            var d = c.Dims.Resolve(output[i]);
            var match = remaining.FindIndex(r => c.Dims.SameAs(r, d));
            if (match >= 0)
            {
                remaining.RemoveAt(match);
            }
            else if (d.IsFixed)
            {
                knownOut *= d.FixedValue;
            }
            else
            {
                unknownOut.Add(d);
            }
        }

        if (unknownOut.Count > 0)
        {
            return c.Fresh();
        }

        if (remaining.All(r => r.IsFixed))
        {
            var product = remaining.Aggregate(1L, (p, r) => p * r.FixedValue);
            return knownOut != 0 && product % knownOut == 0 ? SymDim.Of(product / knownOut) : c.Fresh();
        }

        if (remaining.Count(r => !r.IsFixed) == 1 && knownOut == remaining.Where(r => r.IsFixed).Aggregate(1L, (p, r) => p * r.FixedValue))
        {
            return remaining.Single(r => !r.IsFixed);
        }

        return c.Fresh();
    }

    private static ValueFacts[] Flatten(InferenceContext c)
    {
        var input = c.Input(0);
        if (input.Shape is null)
        {
            return [new ValueFacts { Type = input.Type, Shape = [c.Fresh(), c.Fresh()] }];
        }

        var axis = InferenceContext.Axis(c.Int("axis", 1), input.Shape.Length);
        return [new ValueFacts { Type = input.Type, Shape = [Product(c, input.Shape[..axis]), Product(c, input.Shape[axis..])] }];
    }

    private static SymDim Product(InferenceContext c, SymDim[] dims)
    {
        var resolved = dims.Select(c.Dims.Resolve).ToArray();
        var symbolic = resolved.Where(d => !d.IsFixed).ToArray();
        var fixedProduct = resolved.Where(d => d.IsFixed).Aggregate(1L, (p, d) => p * d.FixedValue);
        return symbolic.Length switch
        {
            0 => SymDim.Of(fixedProduct),
            1 when fixedProduct == 1 => symbolic[0],
            _ => c.Fresh(),
        };
    }

    private static ValueFacts[] Transpose(InferenceContext c)
    {
        var input = c.Input(0);
        if (input.Shape is null)
        {
            return [new ValueFacts { Type = input.Type }];
        }

        var perm = c.Ints("perm") ?? [.. Enumerable.Range(0, input.Shape.Length).Reverse().Select(i => (long)i)];
        return [new ValueFacts { Type = input.Type, Shape = [.. perm.Select(p => input.Shape[p])] }];
    }

    private static ValueFacts[] Concat(InferenceContext c)
    {
        var inputs = Enumerable.Range(0, c.InputCount).Select(c.Input).ToArray();
        var type = inputs.FirstOrDefault(f => f.Type != ElementType.Undefined)?.Type ?? ElementType.Undefined;
        var known = inputs.Where(f => f.Shape is not null).ToArray();
        if (known.Length == 0)
        {
            return [new ValueFacts { Type = type }];
        }

        var rank = known[0].Shape!.Length;
        var axis = InferenceContext.Axis(c.Int("axis", 0), rank);
        var shape = new SymDim[rank];
        for (var k = 0; k < rank; k++)
        {
            if (k == axis)
            {
                continue;
            }

            var merged = known[0].Shape![k];
            foreach (var f in known.Skip(1))
            {
                merged = c.Dims.Unify(merged, f.Shape![k]);
            }

            shape[k] = merged;
        }

        var axisDims = inputs.Select(f => f.Shape is null ? (SymDim?)null : c.Dims.Resolve(f.Shape[axis])).ToArray();
        shape[axis] = axisDims.All(d => d is { IsFixed: true }) ? SymDim.Of(axisDims.Sum(d => d!.Value.FixedValue)) : c.Fresh();

        SymDim[]? dimValues = null;
        long[]? ints = null;
        if (rank == 1 && inputs.All(f => f.DimValues is not null || f.ConstantInts is not null || FixedLength(c, f) is not null))
        {
            // Pieces whose values are unknown but whose length is fixed (e.g. a size computed by a reduction)
            // become fresh symbols, so the known pieces (typically Shape slices) keep their identity.
            dimValues = [.. Enumerable.Range(0, c.InputCount).SelectMany(i => c.DimValues(i) ?? c.FreshShape((int)FixedLength(c, inputs[i])!.Value))];
            if (inputs.All(f => f.ConstantInts is not null))
            {
                ints = [.. inputs.SelectMany(f => f.ConstantInts!)];
            }
        }

        return [new ValueFacts { Type = type, Shape = shape, DimValues = dimValues, ConstantInts = ints }];
    }

    private static long? FixedLength(InferenceContext c, ValueFacts f) =>
        f.Shape is [var n] && c.Dims.Resolve(n).IsFixed ? c.Dims.Resolve(n).FixedValue : f.Shape is [] ? 1 : null;

    // Expand's target may be computed (torch's expand(B, -1) goes through Where): when only its length is known,
    // the rank still is, and axes where the input is not 1 keep the input's size.
    private static ValueFacts[] Expand(InferenceContext c)
    {
        var input = c.Input(0);
        if (c.DimValues(1) is { } target)
        {
            return [new ValueFacts { Type = input.Type, Shape = c.Broadcast(input.Shape, target) }];
        }

        if (input.Shape is null || FixedLength(c, c.Input(1)) is not long length)
        {
            return [new ValueFacts { Type = input.Type }];
        }

        var rank = (int)Math.Max(length, input.Shape.Length);
        var shape = new SymDim[rank];
        for (var k = 0; k < rank; k++)
        {
            var j = k - (rank - input.Shape.Length);
            shape[k] = j >= 0 && !c.Dims.Resolve(input.Shape[j]).IsOne ? input.Shape[j] : c.Fresh();
        }

        return [new ValueFacts { Type = input.Type, Shape = shape }];
    }

    private static ValueFacts[] Slice(InferenceContext c)
    {
        var input = c.Input(0);
        if (input.Shape is null)
        {
            return [new ValueFacts { Type = input.Type }];
        }

        var rank = input.Shape.Length;
        long[]? starts, ends, axes, steps;
        if (c.Opset < 10)
        {
            starts = c.Ints("starts");
            ends = c.Ints("ends");
            axes = c.Ints("axes");
            steps = null;
        }
        else
        {
            starts = c.ConstInts(1);
            ends = c.ConstInts(2);
            axes = c.HasInput(3) ? c.ConstInts(3) : null;
            steps = c.HasInput(4) ? c.ConstInts(4) : null;
            if (c.HasInput(3) && axes is null)
            {
                return [new ValueFacts { Type = input.Type, Shape = c.FreshShape(rank) }];
            }
        }

        var shape = input.Shape.ToArray();
        var sliceCount = starts?.Length ?? ends?.Length ?? -1;
        if (sliceCount < 0 && c.Input(1).Shape is [var n] && c.Dims.Resolve(n).IsFixed)
        {
            sliceCount = (int)c.Dims.Resolve(n).FixedValue;
        }

        axes ??= sliceCount >= 0 ? [.. Enumerable.Range(0, sliceCount).Select(i => (long)i)] : null;
        if (axes is null)
        {
            return [new ValueFacts { Type = input.Type, Shape = c.FreshShape(rank) }];
        }

        for (var j = 0; j < axes.Length; j++)
        {
            var axis = InferenceContext.Axis(axes[j], rank);
            var dim = c.Dims.Resolve(shape[axis]);
            var step = steps?[j] ?? 1;
            if (starts is null || ends is null)
            {
                shape[axis] = c.Fresh();
                continue;
            }

            if (step == 1 && starts[j] == 0 && ends[j] >= int.MaxValue)
            {
                continue; // the whole axis
            }

            shape[axis] = dim.IsFixed ? SymDim.Of(SliceLength(dim.FixedValue, starts[j], ends[j], step)) : c.Fresh();
        }

        SymDim[]? dimValues = null;
        long[]? ints = null;
        if (rank == 1 && starts is not null && ends is not null && (input.DimValues ?? c.DimValues(0)) is { } values && (steps?[0] ?? 1) == 1)
        {
            var len = values.Length;
            var s = (int)Math.Clamp(starts[0] < 0 ? starts[0] + len : starts[0], 0, len);
            var e = (int)Math.Clamp(ends[0] < 0 ? ends[0] + len : ends[0], 0, len);
            dimValues = e > s ? values[s..e] : [];
            ints = input.ConstantInts is { } ci ? ci[s..Math.Max(s, e)] : null;
        }

        return [new ValueFacts { Type = input.Type, Shape = shape, DimValues = dimValues, ConstantInts = ints }];
    }

    internal static long SliceLength(long dim, long start, long end, long step)
    {
        if (step > 0)
        {
            var s = Math.Clamp(start < 0 ? start + dim : start, 0, dim);
            var e = Math.Clamp(end < 0 ? end + dim : end, 0, dim);
            return e > s ? ((e - s) + step - 1) / step : 0;
        }
        else
        {
            var s = Math.Clamp(start < 0 ? start + dim : start, -1, dim - 1);
            var e = Math.Clamp(end < 0 ? end + dim : end, -1, dim - 1);
            return s > e ? ((s - e) + (-step) - 1) / (-step) : 0;
        }
    }

    private static ValueFacts[] Split(InferenceContext c)
    {
        var input = c.Input(0);
        var count = c.Node.Output.Count;
        if (input.Shape is null)
        {
            return [.. Enumerable.Range(0, count).Select(_ => new ValueFacts { Type = input.Type })];
        }

        var axis = InferenceContext.Axis(c.Int("axis", 0), input.Shape.Length);
        var sizes = c.Ints("split") ?? (c.HasInput(1) ? c.ConstInts(1) : null);
        var dim = c.Dims.Resolve(input.Shape[axis]);
        if (sizes is null && dim.IsFixed && dim.FixedValue % count == 0)
        {
            sizes = [.. Enumerable.Repeat(dim.FixedValue / count, count)];
        }

        return
        [
            .. Enumerable.Range(0, count).Select(i =>
            {
                var shape = input.Shape.ToArray();
                shape[axis] = sizes is not null ? SymDim.Of(sizes[i]) : c.Fresh();
                return new ValueFacts { Type = input.Type, Shape = shape };
            }),
        ];
    }

    private static ValueFacts[] Pad(InferenceContext c)
    {
        var input = c.Input(0);
        if (input.Shape is null)
        {
            return [new ValueFacts { Type = input.Type }];
        }

        var pads = c.Ints("pads") ?? c.ConstInts(1);
        var rank = input.Shape.Length;
        var axes = c.HasInput(3) ? c.ConstInts(3) : null;
        if (pads is null || (c.HasInput(3) && axes is null))
        {
            return [new ValueFacts { Type = input.Type, Shape = c.FreshShape(rank) }];
        }

        axes ??= [.. Enumerable.Range(0, rank).Select(i => (long)i)];
        var shape = input.Shape.ToArray();
        for (var j = 0; j < axes.Length; j++)
        {
            var axis = InferenceContext.Axis(axes[j], rank);
            var delta = pads[j] + pads[j + axes.Length];
            var d = c.Dims.Resolve(shape[axis]);
            shape[axis] = delta == 0 ? d : d.IsFixed ? SymDim.Of(d.FixedValue + delta) : c.Fresh();
        }

        return [new ValueFacts { Type = input.Type, Shape = shape }];
    }

    private static ValueFacts[] Range(InferenceContext c)
    {
        var type = c.Input(0).Type;
        if (c.ConstInts(0) is [var start] && c.ConstInts(1) is [var limit] && c.ConstInts(2) is [var delta] && delta != 0)
        {
            var n = Math.Max(0, (long)Math.Ceiling((limit - start) / (double)delta));
            return [new ValueFacts { Type = type, Shape = [SymDim.Of(n)] }];
        }

        // Range(0, n, 1) over a size keeps the size's symbol.
        if (c.ConstInts(0) is [0] && c.ConstInts(2) is [1] && c.DimValues(1) is [var size])
        {
            return [new ValueFacts { Type = type, Shape = [size] }];
        }

        return [new ValueFacts { Type = type, Shape = [c.Fresh()] }];
    }

    private static ValueFacts[] OneHot(InferenceContext c)
    {
        var indices = c.Input(0);
        var type = c.Input(2).Type;
        if (indices.Shape is null)
        {
            return [new ValueFacts { Type = type }];
        }

        var rank = indices.Shape.Length + 1;
        var axis = InferenceContext.Axis(c.Int("axis", -1), rank);
        var depth = c.DimValues(1) is [var d] ? d : c.Fresh();
        var shape = indices.Shape.ToList();
        shape.Insert(axis, depth);
        return [new ValueFacts { Type = type, Shape = [.. shape] }];
    }
}
