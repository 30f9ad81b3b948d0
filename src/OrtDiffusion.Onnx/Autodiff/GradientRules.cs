namespace OrtDiffusion.Onnx.Autodiff;

/// <summary>
/// The gradient rules, one small function per operator type (in the spirit of PyTorch's derivatives.yaml
/// and ONNX Runtime's gradient builder). A rule reads the incoming output gradients from its context and
/// contributes a gradient to every input that wants one.
/// </summary>
internal static partial class GradientRules
{
    /// <summary>Operators whose outputs carry no gradient (piecewise constant or non-numeric).</summary>
    private static readonly HashSet<string> NonDifferentiable = new(StringComparer.Ordinal)
    {
        "Shape", "Size", "NonZero", "ArgMax", "ArgMin", "Floor", "Ceil", "Round", "Sign", "Equal", "Less", "Greater",
        "LessOrEqual", "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf", "ConstantOfShape", "Range",
        "OneHot", "RandomNormalLike", "RandomUniformLike", "EyeLike", "Constant",
    };

    public static readonly IReadOnlyDictionary<string, Action<GradientContext>> Table = Build();

    /// <summary>Whether gradients stop at this operator.</summary>
    public static bool StopsGradient(string opType) => NonDifferentiable.Contains(opType);

    /// <summary>The operator types that have a gradient rule.</summary>
    public static IEnumerable<string> SupportedOperators => Table.Keys.Order(StringComparer.Ordinal);

    private static Dictionary<string, Action<GradientContext>> Build()
    {
        var t = new Dictionary<string, Action<GradientContext>>(StringComparer.Ordinal);
        AddElementwise(t);
        AddLinear(t);
        AddNormalization(t);
        AddShape(t);
        AddResize(t);
        return t;
    }
}
