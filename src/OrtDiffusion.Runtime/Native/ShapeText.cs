namespace OrtDiffusion.Runtime.Native;

/// <summary>Formats shapes for error messages: [2, 3] or, with symbolic names, [batch, 4].</summary>
internal static class ShapeText
{
    /// <summary>"[2, 3]".</summary>
    public static string Of(ReadOnlySpan<long> shape)
    {
        var parts = new string[shape.Length];
        for (var i = 0; i < shape.Length; i++)
            parts[i] = shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture);
        return "[" + string.Join(", ", parts) + "]";
    }

    /// <summary>"[batch, 4]", with "?" for a dimension that is neither fixed nor named.</summary>
    public static string Of(ReadOnlySpan<long> shape, IReadOnlyList<string?> symbolic)
    {
        var parts = new string[shape.Length];
        for (var i = 0; i < shape.Length; i++)
            parts[i] = shape[i] >= 0
                ? shape[i].ToString(System.Globalization.CultureInfo.InvariantCulture)
                : symbolic.Count > i && !string.IsNullOrEmpty(symbolic[i]) ? symbolic[i]! : "?";
        return "[" + string.Join(", ", parts) + "]";
    }

    /// <summary>The product of the dimensions; throws on a negative dimension or overflow.</summary>
    public static long ElementCount(ReadOnlySpan<long> shape, string paramName)
    {
        long count = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
                throw new ArgumentException($"Shape {Of(shape)} has a negative dimension.", paramName);
            count = checked(count * dim);
        }
        return count;
    }
}
