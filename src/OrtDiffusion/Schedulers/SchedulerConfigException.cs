namespace OrtDiffusion.Schedulers;

/// <summary>A scheduler config value that is missing its right type, out of range, or not supported.</summary>
public sealed class SchedulerConfigException : Exception
{
    /// <summary>Creates the exception; the message names the key and the config's source.</summary>
    /// <param name="key">The diffusers config key, e.g. <c>beta_schedule</c>.</param>
    /// <param name="source">Where the config came from (a file path), or null.</param>
    /// <param name="problem">What is wrong with the value.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public SchedulerConfigException(string key, string? source, string problem, Exception? inner = null)
        : base($"Scheduler config {(source is null ? "" : $"'{source}' ")}key '{key}': {problem}", inner)
    {
        Key = key;
        ConfigSource = source;
    }

    /// <summary>The diffusers config key at fault.</summary>
    public string Key { get; }

    /// <summary>Where the config came from (a file path), or null when built in code.</summary>
    public string? ConfigSource { get; }
}
