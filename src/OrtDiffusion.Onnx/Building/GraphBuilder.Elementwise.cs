using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Onnx.Building;

// Element-wise operators (broadcasting binary ops and unary math).
public sealed partial class GraphBuilder
{
    /// <summary><c>a + b</c> with broadcasting.</summary>
    public Value Add(Value a, Value b) => Op("Add", [a, b]);

    /// <summary><c>a - b</c> with broadcasting.</summary>
    public Value Sub(Value a, Value b) => Op("Sub", [a, b]);

    /// <summary><c>a * b</c> with broadcasting.</summary>
    public Value Mul(Value a, Value b) => Op("Mul", [a, b]);

    /// <summary><c>a / b</c> with broadcasting.</summary>
    public Value Div(Value a, Value b) => Op("Div", [a, b]);

    /// <summary><c>a ^ b</c> with broadcasting.</summary>
    public Value Pow(Value a, Value b) => Op("Pow", [a, b]);

    /// <summary>Square root.</summary>
    public Value Sqrt(Value x) => Op("Sqrt", [x]);

    /// <summary>Natural exponential.</summary>
    public Value Exp(Value x) => Op("Exp", [x]);

    /// <summary>Natural logarithm.</summary>
    public Value Log(Value x) => Op("Log", [x]);

    /// <summary>Sine.</summary>
    public Value Sin(Value x) => Op("Sin", [x]);

    /// <summary>Cosine.</summary>
    public Value Cos(Value x) => Op("Cos", [x]);

    /// <summary>Gauss error function.</summary>
    public Value Erf(Value x) => Op("Erf", [x]);

    /// <summary>Hyperbolic tangent.</summary>
    public Value Tanh(Value x) => Op("Tanh", [x]);

    /// <summary>Logistic sigmoid.</summary>
    public Value Sigmoid(Value x) => Op("Sigmoid", [x]);

    /// <summary>Negation.</summary>
    public Value Neg(Value x) => Op("Neg", [x]);

    /// <summary><c>1 / x</c>.</summary>
    public Value Reciprocal(Value x) => Op("Reciprocal", [x]);

    /// <summary>Rectified linear unit.</summary>
    public Value Relu(Value x) => Op("Relu", [x]);

    /// <summary>Absolute value.</summary>
    public Value Abs(Value x) => Op("Abs", [x]);

    /// <summary>Identity (a renamed copy).</summary>
    public Value Identity(Value x) => Op("Identity", [x]);

    /// <summary>Element-wise equality (bool output).</summary>
    public Value Equal(Value a, Value b) => Op("Equal", [a, b]);

    /// <summary>Selects <paramref name="whenTrue"/> where <paramref name="condition"/> holds, else <paramref name="whenFalse"/>.</summary>
    public Value Where(Value condition, Value whenTrue, Value whenFalse) => Op("Where", [condition, whenTrue, whenFalse]);

    /// <summary>Converts to another element type.</summary>
    public Value Cast(Value x, ElementType to) => Op("Cast", [x], Attr.Int("to", (long)to));

    /// <summary>Clamps to [min, max]; bounds are inputs from opset 11 and attributes before.</summary>
    public Value Clip(Value x, float? min, float? max)
    {
        if (Opset >= 11)
        {
            var lo = min is float a ? Scalar(a) : Value.None;
            var hi = max is float b ? Scalar(b) : Value.None;
            return hi.IsNone ? (lo.IsNone ? Op("Clip", [x]) : Op("Clip", [x, lo])) : Op("Clip", [x, lo, hi]);
        }

        var attributes = new List<AttributeProto>();
        if (min is float mn)
        {
            attributes.Add(Attr.Float("min", mn));
        }

        if (max is float mx)
        {
            attributes.Add(Attr.Float("max", mx));
        }

        return Op("Clip", [x], [.. attributes]);
    }

    /// <summary>SiLU as exporters write it: <c>x * Sigmoid(x)</c>.</summary>
    public Value Silu(Value x) => Mul(x, Sigmoid(x));

    /// <summary>Exact GELU as exporters write it: <c>x * 0.5 * (1 + Erf(x / √2))</c>.</summary>
    public Value GeluErf(Value x)
    {
        var erf = Erf(Div(x, Scalar(MathF.Sqrt(2f))));
        return Mul(Mul(x, Add(erf, Scalar(1f))), Scalar(0.5f));
    }

    /// <summary>tanh-approximated GELU as exporters write it (PixArt's <c>gelu(approximate="tanh")</c>).</summary>
    public Value GeluTanh(Value x)
    {
        var cube = Pow(x, Scalar(3f));
        var inner = Mul(Add(x, Mul(cube, Scalar(0.044715f))), Scalar(MathF.Sqrt(2f / MathF.PI)));
        return Mul(Mul(x, Scalar(0.5f)), Add(Tanh(inner), Scalar(1f)));
    }
}
