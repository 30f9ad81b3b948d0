using System.Numerics.Tensors;

namespace OrtDiffusion.Schedulers;

/// <summary>The element-wise combinations scheduler steps are made of, on TensorPrimitives.</summary>
internal static class SpanMath
{
    /// <summary>
    /// <c>destination = a·x + b·y</c>. <paramref name="destination"/> may be exactly
    /// <paramref name="x"/> or exactly <paramref name="y"/>. Terms with a zero coefficient are
    /// skipped (so 0·∞ never turns into NaN).
    /// </summary>
    public static void AxpBy(ReadOnlySpan<float> x, double a, ReadOnlySpan<float> y, double b, Span<float> destination)
    {
        if (b == 0)
        {
            Scale(x, a, destination);
        }
        else if (a == 0)
        {
            Scale(y, b, destination);
        }
        else if (destination.Overlaps(y))
        {
            TensorPrimitives.Multiply(y, (float)b, destination);
            TensorPrimitives.MultiplyAdd(x, (float)a, destination, destination);
        }
        else
        {
            TensorPrimitives.Multiply(x, (float)a, destination);
            TensorPrimitives.MultiplyAdd(y, (float)b, destination, destination);
        }
    }

    /// <summary><c>destination += a·x</c>; nothing when a is zero.</summary>
    public static void AddScaled(Span<float> destination, ReadOnlySpan<float> x, double a)
    {
        if (a != 0)
        {
            TensorPrimitives.MultiplyAdd(x, (float)a, destination, destination);
        }
    }

    /// <summary><c>destination = a·x</c> (a copy when a is 1, zeros when a is 0).</summary>
    public static void Scale(ReadOnlySpan<float> x, double a, Span<float> destination)
    {
        if (a == 1)
        {
            x.CopyTo(destination);
        }
        else if (a == 0)
        {
            destination.Clear();
        }
        else
        {
            TensorPrimitives.Multiply(x, (float)a, destination);
        }
    }

    /// <summary>Returns <paramref name="buffer"/> resized to <paramref name="length"/>, allocating only when the length changes.</summary>
    public static float[] Ensure(ref float[]? buffer, int length)
    {
        if (buffer is null || buffer.Length != length)
        {
            buffer = new float[length];
        }

        return buffer;
    }
}
