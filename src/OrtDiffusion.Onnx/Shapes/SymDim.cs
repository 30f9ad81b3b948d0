namespace OrtDiffusion.Onnx.Shapes;

/// <summary>
/// A dimension during shape inference: a fixed size, or a symbol whose equality with other symbols
/// is tracked by a <see cref="DimTable"/>.
/// </summary>
public readonly record struct SymDim
{
    private SymDim(long fixedValue, int symbol)
    {
        FixedValue = fixedValue;
        Symbol = symbol;
    }

    /// <summary>The fixed size, or −1 for a symbol.</summary>
    public long FixedValue { get; }

    /// <summary>The symbol id, meaningful when <see cref="IsFixed"/> is false.</summary>
    public int Symbol { get; }

    /// <summary>Whether the size is a known number.</summary>
    public bool IsFixed => FixedValue >= 0;

    /// <summary>A known size.</summary>
    public static SymDim Of(long value) =>
        value >= 0 ? new SymDim(value, 0) : throw new ArgumentOutOfRangeException(nameof(value), value, "Dimensions are non-negative.");

    /// <summary>A symbol (use <see cref="DimTable.NewSymbol"/> to make one).</summary>
    internal static SymDim OfSymbol(int symbol) => new(-1, symbol);

    /// <summary>Whether this is the fixed size 1 (the only size that broadcasts).</summary>
    public bool IsOne => FixedValue == 1;
}

/// <summary>
/// Symbols of one inference run with a union-find over them. Operators that require equal sizes
/// (element-wise without broadcasting, Concat, MatMul's inner dims) unify their symbols.
/// </summary>
public sealed class DimTable
{
    private readonly List<int> parent = [];
    private readonly List<string> names = [];
    private readonly List<long> values = [];
    private readonly Dictionary<string, int> byName = new(StringComparer.Ordinal);

    /// <summary>A fresh symbol; named symbols (graph input dim params) are shared by name.</summary>
    public SymDim NewSymbol(string? name = null)
    {
        if (name is not null && byName.TryGetValue(name, out var existing))
        {
            return SymDim.OfSymbol(existing);
        }

        var id = parent.Count;
        parent.Add(id);
        names.Add(name ?? $"s{id}");
        values.Add(-1);
        if (name is not null)
        {
            byName[name] = id;
        }

        return SymDim.OfSymbol(id);
    }

    /// <summary>The canonical form of <paramref name="dim"/>: its class representative, or the value bound to it.</summary>
    public SymDim Resolve(SymDim dim)
    {
        if (dim.IsFixed)
        {
            return dim;
        }

        var root = Find(dim.Symbol);
        return values[root] >= 0 ? SymDim.Of(values[root]) : SymDim.OfSymbol(root);
    }

    /// <summary>Whether two dims are known to be equal.</summary>
    public bool SameAs(SymDim a, SymDim b)
    {
        a = Resolve(a);
        b = Resolve(b);
        return a.IsFixed == b.IsFixed && (a.IsFixed ? a.FixedValue == b.FixedValue : a.Symbol == b.Symbol);
    }

    /// <summary>Records that two dims are equal. Returns the merged dim.</summary>
    public SymDim Unify(SymDim a, SymDim b)
    {
        a = Resolve(a);
        b = Resolve(b);
        if (a.IsFixed && b.IsFixed)
        {
            return a; // Conflicting fixed sizes are the runtime's error to report.
        }

        if (a.IsFixed)
        {
            values[Find(b.Symbol)] = a.FixedValue;
            return a;
        }

        if (b.IsFixed)
        {
            values[Find(a.Symbol)] = b.FixedValue;
            return b;
        }

        var ra = Find(a.Symbol);
        var rb = Find(b.Symbol);
        if (ra != rb)
        {
            parent[rb] = ra;
        }

        return SymDim.OfSymbol(ra);
    }

    /// <summary>A readable name: the number, or the symbol's (first) name.</summary>
    public string Describe(SymDim dim)
    {
        dim = Resolve(dim);
        return dim.IsFixed ? dim.FixedValue.ToString(System.Globalization.CultureInfo.InvariantCulture) : names[dim.Symbol];
    }

    private int Find(int symbol)
    {
        while (parent[symbol] != symbol)
        {
            parent[symbol] = parent[parent[symbol]];
            symbol = parent[symbol];
        }

        return symbol;
    }
}
