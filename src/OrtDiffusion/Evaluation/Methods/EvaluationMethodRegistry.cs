using OrtDiffusion.Models;

namespace OrtDiffusion.Evaluation;

/// <summary>Creates an <see cref="IEvaluationMethod"/> from its parsed spec; throws <see cref="FormatException"/> for a bad option.</summary>
/// <param name="spec">The method as given on the command line.</param>
/// <param name="execution">Device and session settings for what the method loads (rewards, tokens).</param>
public delegate IEvaluationMethod EvaluationMethodFactory(MethodSpec spec, ExecutionOptions execution);

/// <summary>
/// The methods <c>ortdiff eval --method</c> knows, by name. <see cref="CreateDefault"/> registers <c>fixed</c>,
/// <c>date</c> and <c>ipgo</c>; a new method is one class implementing <see cref="IEvaluationMethod"/> plus one
/// <see cref="Register"/> line there.
/// </summary>
public sealed class EvaluationMethodRegistry
{
    private readonly Dictionary<string, (EvaluationMethodFactory Factory, string Usage)> methods = new(StringComparer.Ordinal);

    /// <summary>A registry with the built-in methods.</summary>
    public static EvaluationMethodRegistry CreateDefault()
    {
        var registry = new EvaluationMethodRegistry();
        registry.Register("fixed", FixedEmbeddingMethod.Create, FixedEmbeddingMethod.Usage);
        registry.Register("date", DateMethod.Create, DateMethod.Usage);
        registry.Register("ipgo", IpgoEvaluationMethod.Create, IpgoEvaluationMethod.Usage);
        return registry;
    }

    /// <summary>The registered names.</summary>
    public IReadOnlyCollection<string> Names => methods.Keys;

    /// <summary>One line of usage per method, for help texts and errors.</summary>
    public IEnumerable<string> Usages => methods.Values.Select(m => m.Usage);

    /// <summary>Adds (or replaces) the method called <paramref name="name"/>.</summary>
    public void Register(string name, EvaluationMethodFactory factory, string usage)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(factory);
        methods[name.ToLowerInvariant()] = (factory, usage ?? name);
    }

    /// <summary>Throws unless <paramref name="spec"/> names a registered method (cheap: nothing is loaded).</summary>
    /// <exception cref="FormatException">An unknown method, with the known ones.</exception>
    public void RequireKnown(MethodSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        if (!methods.ContainsKey(spec.Name))
        {
            throw new FormatException($"Method '{spec.Text}': unknown method '{spec.Name}'; known: {string.Join("; ", Usages)}.");
        }
    }

    /// <summary>Creates the method <paramref name="spec"/> names.</summary>
    /// <exception cref="FormatException">An unknown method or a bad option.</exception>
    public IEvaluationMethod Create(MethodSpec spec, ExecutionOptions execution)
    {
        RequireKnown(spec);
        return methods[spec.Name].Factory(spec, execution);
    }
}
