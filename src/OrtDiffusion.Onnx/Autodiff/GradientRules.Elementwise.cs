using OrtDiffusion.Onnx.Building;

namespace OrtDiffusion.Onnx.Autodiff;

// Element-wise operators: broadcasting binaries reduce their gradients back to each input's shape.
internal static partial class GradientRules
{
    private const float TwoOverSqrtPi = 1.1283791670955126f;

    private static void AddElementwise(Dictionary<string, Action<GradientContext>> t)
    {
        t["Add"] = c => Binary(c, dy => dy, dy => dy);
        t["Sub"] = c => Binary(c, dy => dy, dy => c.B.Neg(dy));
        t["Mul"] = c => Binary(c, dy => c.B.Mul(dy, c.X(1)), dy => c.B.Mul(dy, c.X(0)));
        t["Div"] = c => Binary(c, dy => c.B.Div(dy, c.X(1)), dy => c.B.Neg(c.B.Div(c.B.Mul(dy, c.Y()), c.X(1))));
        t["Pow"] = Pow;
        t["Sum"] = c =>
        {
            for (var i = 0; i < c.Node.Input.Count; i++)
            {
                if (c.Wants(i))
                {
                    c.SetDx(i, c.SumToShape(c.Dy()!.Value, c.X(i)));
                }
            }
        };
        t["Max"] = c => MinMax(c);
        t["Min"] = c => MinMax(c);
        t["Neg"] = c => c.SetDx(0, c.B.Neg(c.Dy()!.Value));
        t["Identity"] = c => c.SetDx(0, c.Dy()!.Value);
        t["Dropout"] = c => c.SetDx(0, c.Dy()!.Value); // inference mode: identity
        t["Sqrt"] = c => c.SetDx(0, c.B.Div(c.B.Mul(c.Dy()!.Value, c.Scalar(0.5f)), c.Y()));
        t["Exp"] = c => c.SetDx(0, c.B.Mul(c.Dy()!.Value, c.Y()));
        t["Log"] = c => c.SetDx(0, c.B.Div(c.Dy()!.Value, c.X(0)));
        t["Sin"] = c => c.SetDx(0, c.B.Mul(c.Dy()!.Value, c.B.Cos(c.X(0))));
        t["Cos"] = c => c.SetDx(0, c.B.Mul(c.Dy()!.Value, c.B.Neg(c.B.Sin(c.X(0)))));
        t["Erf"] = c =>
        {
            var x = c.X(0);
            var density = c.B.Mul(c.B.Exp(c.B.Neg(c.B.Mul(x, x))), c.Scalar(TwoOverSqrtPi));
            c.SetDx(0, c.B.Mul(c.Dy()!.Value, density));
        };
        t["Tanh"] = c => c.SetDx(0, c.B.Mul(c.Dy()!.Value, c.B.Sub(c.Scalar(1f), c.B.Mul(c.Y(), c.Y()))));
        t["Sigmoid"] = c => c.SetDx(0, c.B.Mul(c.Dy()!.Value, c.B.Mul(c.Y(), c.B.Sub(c.Scalar(1f), c.Y()))));
        t["Reciprocal"] = c => c.SetDx(0, c.B.Neg(c.B.Mul(c.Dy()!.Value, c.B.Mul(c.Y(), c.Y()))));
        t["Relu"] = c => c.SetDx(0, c.Select(c.B.Op("Greater", [c.X(0), c.Scalar(0f)]), c.Dy()!.Value, 0f));
        t["Abs"] = c => c.SetDx(0, c.B.Mul(c.Dy()!.Value, c.B.Op("Sign", [c.X(0)])));
        t["Softplus"] = c => c.SetDx(0, c.B.Mul(c.Dy()!.Value, c.B.Sigmoid(c.X(0))));
        t["LeakyRelu"] = c =>
        {
            var dy = c.Dy()!.Value;
            var slope = c.B.Mul(dy, c.Scalar(c.Float("alpha", 0.01f)));
            c.SetDx(0, c.B.Where(c.B.Op("Greater", [c.X(0), c.Scalar(0f)]), dy, slope));
        };
        t["Cast"] = Cast;
        t["Clip"] = Clip;
        t["Where"] = c =>
        {
            var dy = c.Dy()!.Value;
            var zero = c.Scalar(0f);
            if (c.Wants(1))
            {
                c.SetDx(1, c.SumToShape(c.B.Where(c.X(0), dy, zero), c.X(1)));
            }

            if (c.Wants(2))
            {
                c.SetDx(2, c.SumToShape(c.B.Where(c.X(0), zero, dy), c.X(2)));
            }
        };
    }

    private static void Binary(GradientContext c, Func<Value, Value> toFirst, Func<Value, Value> toSecond)
    {
        var dy = c.Dy()!.Value;
        if (c.Wants(0))
        {
            c.SetDx(0, c.SumToShape(toFirst(dy), c.X(0)));
        }

        if (c.Wants(1))
        {
            c.SetDx(1, c.SumToShape(toSecond(dy), c.X(1)));
        }
    }

    private static void Pow(GradientContext c)
    {
        var dy = c.Dy()!.Value;
        var baseValue = c.X(0);
        var exponentFacts = c.Facts(c.X(1));
        if (c.Wants(0))
        {
            Value local;
            float? constant = exponentFacts.ConstantFloats is [var f] ? f : exponentFacts.ConstantInts is [var i] ? i : null;
            if (constant is float p)
            {
                local = p switch
                {
                    1f => c.Scalar(1f),
                    2f => c.B.Mul(baseValue, c.Scalar(2f)),
                    0.5f => c.B.Div(c.Scalar(0.5f), c.Y()),
                    _ => c.B.Mul(c.B.Pow(baseValue, c.Scalar(p - 1f)), c.Scalar(p)),
                };
            }
            else
            {
                var exponent = exponentFacts.Type == c.FloatType ? c.X(1) : c.B.Cast(c.X(1), c.FloatType);
                local = c.B.Mul(exponent, c.B.Pow(baseValue, c.B.Sub(exponent, c.Scalar(1f))));
            }

            c.SetDx(0, c.SumToShape(c.B.Mul(dy, local), baseValue));
        }

        if (c.Wants(1))
        {
            c.SetDx(1, c.SumToShape(c.B.Mul(dy, c.B.Mul(c.Y(), c.B.Log(baseValue))), c.X(1)));
        }
    }

    private static void MinMax(GradientContext c)
    {
        var dy = c.Dy()!.Value;
        for (var i = 0; i < c.Node.Input.Count; i++)
        {
            if (c.Wants(i))
            {
                var chosen = c.Select(c.B.Equal(c.X(i), c.Y()), dy, 0f);
                c.SetDx(i, c.SumToShape(chosen, c.X(i)));
            }
        }
    }

    private static void Cast(GradientContext c)
    {
        var inputType = c.Facts(c.X(0)).Type;
        if (!ElementTypes.IsFloatingPoint(inputType))
        {
            return;
        }

        var dy = c.Dy()!.Value;
        c.SetDx(0, inputType == c.Facts(c.Y()).Type ? dy : c.B.Cast(dy, inputType));
    }

    // The gradient passes where the input lies inside [min, max] (bounds included, as torch.clamp does).
    private static void Clip(GradientContext c)
    {
        var x = c.X(0);
        Value? min = null;
        Value? max = null;
        if (c.Opset >= 11)
        {
            min = c.HasInput(1) ? c.X(1) : null;
            max = c.HasInput(2) ? c.X(2) : null;
        }
        else
        {
            if (Shapes.NodeAttributes.Find(c.Node, "min") is { } lo)
            {
                min = c.Scalar(lo.F);
            }

            if (Shapes.NodeAttributes.Find(c.Node, "max") is { } hi)
            {
                max = c.Scalar(hi.F);
            }
        }

        Value? inside = null;
        if (min is { } mn)
        {
            inside = c.B.Op("Not", [c.B.Op("Less", [x, mn])]);
        }

        if (max is { } mx)
        {
            var below = c.B.Op("Not", [c.B.Op("Greater", [x, mx])]);
            inside = inside is { } i ? c.B.Op("And", [i, below]) : below;
        }

        var dy = c.Dy()!.Value;
        c.SetDx(0, inside is { } mask ? c.Select(mask, dy, 0f) : dy);
    }
}
