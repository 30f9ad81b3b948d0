namespace OrtDiffusion.Onnx;

/// <summary>One dimension of a tensor shape: a fixed size, a named symbolic size, or unknown.</summary>
public readonly record struct Dim
{
    /// <summary>The fixed size, when known.</summary>
    public long? Value { get; }

    /// <summary>The symbolic name (e.g. <c>batch</c>), when the size is symbolic.</summary>
    public string? Param { get; }

    private Dim(long? value, string? param)
    {
        Value = value;
        Param = param;
    }

    /// <summary>A fixed size.</summary>
    public static Dim Fixed(long value) =>
        value >= 0 ? new Dim(value, null) : throw new ArgumentOutOfRangeException(nameof(value), value, "A fixed dimension cannot be negative.");

    /// <summary>A named symbolic size.</summary>
    public static Dim Symbolic(string name) =>
        string.IsNullOrEmpty(name) ? throw new ArgumentException("A symbolic dimension needs a name.", nameof(name)) : new Dim(null, name);

    /// <summary>An unknown size with no name.</summary>
    public static Dim Unknown => default;

    /// <summary>Whether the size is a fixed number.</summary>
    public bool IsFixed => Value.HasValue;

    /// <summary>A fixed size.</summary>
    public static implicit operator Dim(long value) => Fixed(value);

    /// <summary>A fixed size.</summary>
    public static implicit operator Dim(int value) => Fixed(value);

    /// <summary>A symbolic size.</summary>
    public static implicit operator Dim(string name) => Symbolic(name);

    /// <inheritdoc />
    public override string ToString() => Value?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? Param ?? "?";
}
