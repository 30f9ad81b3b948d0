namespace OrtDiffusion.Models;

/// <summary>How a denoiser takes its timestep (exporters differ; the model's metadata tells).</summary>
public enum TimestepFormat
{
    /// <summary>int64 <c>[batch]</c> (or <c>[1]</c>), truncated as numpy's astype does.</summary>
    Int64PerSample,

    /// <summary>float <c>[batch]</c> (or <c>[1]</c>).</summary>
    FloatPerSample,

    /// <summary>float scalar <c>[]</c>.</summary>
    FloatScalar,
}
