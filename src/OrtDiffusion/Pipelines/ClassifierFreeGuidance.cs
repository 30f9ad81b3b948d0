using System.Numerics.Tensors;

namespace OrtDiffusion.Pipelines;

/// <summary>Classifier-free guidance: ε̂ = ε_u + w·(ε_c − ε_u).</summary>
public static class ClassifierFreeGuidance
{
    /// <summary>Whether guidance needs the unconditional branch (diffusers: w &gt; 1).</summary>
    public static bool IsActive(float guidanceScale) => guidanceScale > 1f;

    /// <summary>Writes ε_u + w·(ε_c − ε_u) to <paramref name="guided"/> (which may alias either input).</summary>
    public static void Combine(ReadOnlySpan<float> unconditional, ReadOnlySpan<float> conditional, float guidanceScale, Span<float> guided)
    {
        TensorPrimitives.Subtract(conditional, unconditional, guided);
        TensorPrimitives.MultiplyAdd(guided, guidanceScale, unconditional, guided);
    }
}
