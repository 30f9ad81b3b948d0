namespace OrtDiffusion.Onnx.Shapes;

/// <summary>The per-operator inference rules, one small function each, gathered in one table.</summary>
internal static partial class InferenceRules
{
    public static readonly IReadOnlyDictionary<string, Func<InferenceContext, ValueFacts[]>> Table = Build();

    private static Dictionary<string, Func<InferenceContext, ValueFacts[]>> Build()
    {
        var t = new Dictionary<string, Func<InferenceContext, ValueFacts[]>>(StringComparer.Ordinal);
        foreach (var op in new[] { "Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod", "Sum", "Mean", "PRelu", "BitShift" })
        {
            t[op] = ArithmeticRule;
        }

        foreach (var op in new[] { "Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual", "And", "Or", "Xor" })
        {
            t[op] = c => [new ValueFacts { Type = ElementType.Bool, Shape = c.Broadcast(c.Input(0).Shape, c.Input(1).Shape) }];
        }

        foreach (var op in new[]
                 {
                     "Neg", "Sqrt", "Exp", "Log", "Sin", "Cos", "Tan", "Erf", "Tanh", "Sigmoid", "Reciprocal", "Relu", "Abs",
                     "Floor", "Ceil", "Round", "Sign", "Softplus", "Softsign", "LeakyRelu", "Elu", "Selu", "HardSigmoid",
                     "HardSwish", "Gelu", "Mish", "Softmax", "LogSoftmax", "Trilu", "CumSum", "Clip", "Not", "Celu",
                     "Asin", "Acos", "Atan", "Sinh", "Cosh", "ScatterND", "ScatterElements", "InstanceNormalization",
                     "BatchNormalization", "GroupNormalization", "LpNormalization", "MeanVarianceNormalization",
                 })
        {
            t[op] = c => [c.SameShape(0)];
        }

        foreach (var op in new[] { "IsNaN", "IsInf" })
        {
            t[op] = c => [c.SameShape(0, ElementType.Bool)];
        }

        t["Identity"] = c => [c.Input(0)];
        t["Dropout"] = c => [c.Input(0), c.SameShape(0, ElementType.Bool)];
        t["Cast"] = Cast;
        t["CastLike"] = c => [c.SameShape(0, c.Input(1).Type)];
        t["Where"] = c => [new ValueFacts { Type = c.Input(1).Type, Shape = c.Broadcast(c.Input(0).Shape, c.Input(1).Shape, c.Input(2).Shape) }];
        t["Constant"] = Constant;
        AddShapeOps(t);
        AddLayerOps(t);
        AddReductions(t);
        return t;
    }

    private static ValueFacts[] ArithmeticRule(InferenceContext c)
    {
        var inputs = Enumerable.Range(0, c.InputCount).Select(c.Input).ToArray();
        var shape = c.Broadcast([.. inputs.Select(f => f.Shape)]);
        var type = inputs.FirstOrDefault(f => f.Type != ElementType.Undefined)?.Type ?? ElementType.Undefined;
        if (c.Node.OpType == "Pow")
        {
            type = inputs[0].Type;
        }

        long[]? ints = null;
        SymDim[]? dimValues = null;
        if (c.InputCount == 2 && inputs[0].ConstantInts is { } a && inputs[1].ConstantInts is { } b && (a.Length == b.Length || a.Length == 1 || b.Length == 1))
        {
            ints = FoldInts(c.Node.OpType, a, b);
        }

        if (ints is not null && ints.All(v => v >= 0) && (shape?.Length ?? 2) <= 1)
        {
            dimValues = [.. ints.Select(SymDim.Of)];
        }
        else if (c.InputCount == 2 && (c.DimValues(0)?.Length ?? -1) is var n && n >= 0 && c.DimValues(1) is { } other && (other.Length == n || other.Length == 1))
        {
            // Arithmetic on sizes (e.g. the head dim computed as hidden / heads) gives new symbols unless one side is neutral.
            var left = c.DimValues(0)!;
            dimValues = [.. left.Select((d, i) => ArithmeticOnDim(c, c.Node.OpType, d, other[other.Length == 1 ? 0 : i]))];
        }

        return [new ValueFacts { Type = type, Shape = shape, ConstantInts = ints, DimValues = dimValues }];
    }

    private static SymDim ArithmeticOnDim(InferenceContext c, string op, SymDim a, SymDim b)
    {
        a = c.Dims.Resolve(a);
        b = c.Dims.Resolve(b);
        if (a.IsFixed && b.IsFixed)
        {
            var folded = FoldInts(op, [a.FixedValue], [b.FixedValue]);
            return folded is not null && folded[0] >= 0 ? SymDim.Of(folded[0]) : c.Fresh();
        }

        var neutral = op switch
        {
            "Mul" or "Div" => b.IsFixed && b.FixedValue == 1,
            "Add" or "Sub" => b.IsFixed && b.FixedValue == 0,
            _ => false,
        };
        return neutral ? a : c.Fresh();
    }

    private static long[]? FoldInts(string op, long[] a, long[] b)
    {
        var n = Math.Max(a.Length, b.Length);
        var r = new long[n];
        for (var i = 0; i < n; i++)
        {
            var x = a[a.Length == 1 ? 0 : i];
            var y = b[b.Length == 1 ? 0 : i];
            switch (op)
            {
                case "Add": r[i] = x + y; break;
                case "Sub": r[i] = x - y; break;
                case "Mul": r[i] = x * y; break;
                case "Div" when y != 0: r[i] = x / y; break;
                case "Max": r[i] = Math.Max(x, y); break;
                case "Min": r[i] = Math.Min(x, y); break;
                default: return null;
            }
        }

        return r;
    }

    private static ValueFacts[] Cast(InferenceContext c)
    {
        var input = c.Input(0);
        var to = (ElementType)c.Int("to", 0);
        var intToInt = (to is ElementType.Int64 or ElementType.Int32) && (input.Type is ElementType.Int64 or ElementType.Int32);
        return
        [
            new ValueFacts
            {
                Type = to,
                Shape = input.Shape,
                ConstantInts = intToInt ? input.ConstantInts : null,
                DimValues = intToInt ? input.DimValues : null,
                ConstantFloats = ElementTypes.IsFloatingPoint(to) ? input.ConstantFloats ?? input.ConstantInts?.Select(v => (float)v).ToArray() : null,
            },
        ];
    }

    private static ValueFacts[] Constant(InferenceContext c)
    {
        if (NodeAttributes.Tensor(c.Node, "value") is { } tensor)
        {
            return [ShapeInference.FromTensor(tensor)];
        }

        if (NodeAttributes.Find(c.Node, "value_int") is { } vi)
        {
            return [new ValueFacts { Type = ElementType.Int64, Shape = [], ConstantInts = [vi.I], DimValues = vi.I >= 0 ? [SymDim.Of(vi.I)] : null }];
        }

        if (NodeAttributes.Find(c.Node, "value_ints") is { } vis)
        {
            long[] ints = [.. vis.Ints];
            return [new ValueFacts { Type = ElementType.Int64, Shape = [SymDim.Of(ints.Length)], ConstantInts = ints, DimValues = ints.All(v => v >= 0) ? [.. ints.Select(SymDim.Of)] : null }];
        }

        if (NodeAttributes.Find(c.Node, "value_float") is { } vf)
        {
            return [new ValueFacts { Type = ElementType.Float, Shape = [], ConstantFloats = [vf.F] }];
        }

        if (NodeAttributes.Find(c.Node, "value_floats") is { } vfs)
        {
            return [new ValueFacts { Type = ElementType.Float, Shape = [SymDim.Of(vfs.Floats.Count)], ConstantFloats = [.. vfs.Floats] }];
        }

        return [ValueFacts.Unknown];
    }
}
