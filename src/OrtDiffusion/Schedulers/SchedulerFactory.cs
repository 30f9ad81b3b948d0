namespace OrtDiffusion.Schedulers;

/// <summary>Builds schedulers by CLI name, by kind, or from a config's <c>_class_name</c>.</summary>
public static class SchedulerFactory
{
    private static readonly (string Name, string ClassName, SchedulerKind Kind)[] Known =
    [
        ("ddim", "DDIMScheduler", SchedulerKind.Ddim),
        ("pndm", "PNDMScheduler", SchedulerKind.Pndm),
        ("lms", "LMSDiscreteScheduler", SchedulerKind.Lms),
        ("euler", "EulerDiscreteScheduler", SchedulerKind.Euler),
        ("dpm++", "DPMSolverMultistepScheduler", SchedulerKind.DpmSolverMultistep),
    ];

    /// <summary>The names <see cref="Create(string, SchedulerConfig)"/> accepts (the CLI's <c>--scheduler</c> values).</summary>
    public static IReadOnlyList<string> Names { get; } = [.. Known.Select(k => k.Name)];

    /// <summary>The scheduler kind for a CLI name (<c>ddim|pndm|lms|euler|dpm++</c>, case-insensitive) or a diffusers class name.</summary>
    /// <exception cref="ArgumentException">The name is not one of those.</exception>
    public static SchedulerKind ParseName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (var k in Known)
        {
            if (string.Equals(name, k.Name, StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, k.ClassName, StringComparison.Ordinal))
            {
                return k.Kind;
            }
        }

        throw new ArgumentException(
            $"Unknown scheduler '{name}'. Known: {string.Join(", ", Names)} (or a diffusers class name: "
            + $"{string.Join(", ", Known.Select(k => k.ClassName))}).",
            nameof(name));
    }

    /// <summary>The diffusers class name of a kind, e.g. <c>PNDMScheduler</c>.</summary>
    public static string ClassNameOf(SchedulerKind kind) => Known.First(k => k.Kind == kind).ClassName;

    /// <summary>Builds the scheduler named <paramref name="name"/> from <paramref name="config"/> (which may be another class's config).</summary>
    /// <exception cref="ArgumentException">Unknown name.</exception>
    /// <exception cref="SchedulerConfigException">A config value the scheduler cannot use.</exception>
    public static IScheduler Create(string name, SchedulerConfig config) => Create(ParseName(name), config);

    /// <summary>Builds a scheduler of <paramref name="kind"/> from <paramref name="config"/>.</summary>
    /// <exception cref="SchedulerConfigException">A config value the scheduler cannot use.</exception>
    public static IScheduler Create(SchedulerKind kind, SchedulerConfig config) => kind switch
    {
        SchedulerKind.Ddim => new DdimScheduler(config),
        SchedulerKind.Pndm => new PndmScheduler(config),
        SchedulerKind.Lms => new LmsDiscreteScheduler(config),
        SchedulerKind.Euler => new EulerDiscreteScheduler(config),
        SchedulerKind.DpmSolverMultistep => new DpmSolverMultistepScheduler(config),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown scheduler kind."),
    };

    /// <summary>Builds the scheduler the config names in <c>_class_name</c>.</summary>
    /// <exception cref="SchedulerConfigException"><c>_class_name</c> is missing or not one of the five supported classes.</exception>
    public static IScheduler Create(SchedulerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.ClassName is null)
        {
            throw new SchedulerConfigException("_class_name", config.Source, "missing; pass a scheduler name to choose one.");
        }

        var match = Known.FirstOrDefault(k => k.ClassName == config.ClassName);
        if (match.ClassName is null)
        {
            throw new SchedulerConfigException(
                "_class_name",
                config.Source,
                $"'{config.ClassName}' is not supported; supported: {string.Join(", ", Known.Select(k => k.ClassName))} "
                + "(or pass a scheduler name to use this config with one of them).");
        }

        return Create(match.Kind, config);
    }
}
