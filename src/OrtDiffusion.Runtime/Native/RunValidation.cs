namespace OrtDiffusion.Runtime.Native;

/// <summary>
/// Checks inputs and outputs against a session's metadata before ONNX Runtime sees them, so mistakes come back
/// as <see cref="ArgumentException"/>s naming the model file, the input, and what was expected. Allocates only
/// when it throws.
/// </summary>
internal static class RunValidation
{
    /// <summary>Throws unless <paramref name="value"/> fits input <paramref name="input"/>.</summary>
    public static void CheckInput(string modelPath, NodeMetadata input, OrtValue value, string paramName)
    {
        if (value is null)
            throw new ArgumentNullException(paramName, $"Model '{modelPath}': the value for input '{input.Name}' is null.");
        ObjectDisposedException.ThrowIf(value.IsDisposed, value);
        if (!input.IsTensor)
            return; // sequences and maps: left to ONNX Runtime
        if (!value.IsTensor)
            throw new ArgumentException($"Model '{modelPath}', input '{input.Name}': expected a {input.ElementType} tensor but the value is not a tensor.", paramName);
        CheckTensor(modelPath, "input", input, value, paramName);
    }

    /// <summary>Throws unless the preallocated <paramref name="value"/> fits output <paramref name="output"/>.</summary>
    public static void CheckOutput(string modelPath, NodeMetadata output, OrtValue value, string paramName)
    {
        ObjectDisposedException.ThrowIf(value.IsDisposed, value);
        if (output.IsTensor && value.IsTensor)
            CheckTensor(modelPath, "output", output, value, paramName);
    }

    private static void CheckTensor(string modelPath, string role, NodeMetadata node, OrtValue value, string paramName)
    {
        if (value.ElementType != node.ElementType)
            throw new ArgumentException(
                $"Model '{modelPath}', {role} '{node.Name}': expected element type {node.ElementType} but the value is {value.ElementType} " +
                $"(expected shape {node.ShapeText}, got {ShapeText.Of(value.Shape)}).", paramName);

        var expected = node.ShapeArray;
        var actual = value.Shape;

        // ORT reports a value declared without any shape as rank 0, the same as a scalar; it checks scalars itself.
        if (expected.Length == 0)
            return;
        if (expected.Length != actual.Length)
            throw new ArgumentException(
                $"Model '{modelPath}', {role} '{node.Name}': expected rank {expected.Length} with shape {node.ShapeText} " +
                $"but got shape {ShapeText.Of(actual)} (rank {actual.Length}).", paramName);
        for (var d = 0; d < expected.Length; d++)
        {
            if (expected[d] >= 0 && expected[d] != actual[d])
                throw new ArgumentException(
                    $"Model '{modelPath}', {role} '{node.Name}': dimension {d} must be {expected[d]} (expected shape {node.ShapeText}) " +
                    $"but got shape {ShapeText.Of(actual)}.", paramName);
        }
    }

    /// <summary>The exception for a name the model does not have.</summary>
    public static ArgumentException UnknownName(string modelPath, string role, string name, IReadOnlyList<NodeMetadata> valid, string paramName) =>
        new($"Model '{modelPath}' has no {role} named '{name}'. Valid {role}s: {string.Join(", ", valid.Select(n => n.ToString()))}.", paramName);
}
