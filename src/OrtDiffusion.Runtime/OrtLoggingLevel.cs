namespace OrtDiffusion.Runtime;

/// <summary>Severity of ONNX Runtime log messages (the C API's <c>OrtLoggingLevel</c>, same values).</summary>
public enum OrtLoggingLevel
{
    /// <summary>Everything, including verbose traces.</summary>
    Verbose = 0,
    /// <summary>Informational messages and above.</summary>
    Info = 1,
    /// <summary>Warnings and above (the default).</summary>
    Warning = 2,
    /// <summary>Errors and above.</summary>
    Error = 3,
    /// <summary>Fatal errors only.</summary>
    Fatal = 4,
}
