using System.Collections;

namespace OrtDiffusion.Runtime;

/// <summary>The outputs of a run, in the order requested, by position or name. Disposing it disposes every output.</summary>
public sealed class RunOutputs : IDisposableReadOnlyList<OrtValue>
{
    private readonly OrtValue[] _values;
    private readonly string[] _names;

    internal RunOutputs(string[] names, OrtValue[] values)
    {
        _names = names;
        _values = values;
    }

    /// <summary>The output names, parallel to the values.</summary>
    public IReadOnlyList<string> Names => _names;

    /// <inheritdoc />
    public int Count => _values.Length;

    /// <inheritdoc />
    public OrtValue this[int index] => _values[index];

    /// <summary>The output called <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No output of that name was requested.</exception>
    public OrtValue this[string name]
    {
        get
        {
            var index = Array.IndexOf(_names, name);
            if (index < 0)
                throw new KeyNotFoundException(
                    $"No output named '{name}' in this result; it has: {string.Join(", ", _names)}.");
            return _values[index];
        }
    }

    /// <inheritdoc />
    public IEnumerator<OrtValue> GetEnumerator() => ((IEnumerable<OrtValue>)_values).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Disposes every output value. Safe to call twice.</summary>
    public void Dispose()
    {
        foreach (var value in _values)
            value.Dispose();
    }
}
