namespace OrtDiffusion.Runtime;

/// <summary>One message from ONNX Runtime's logger, as raised by <see cref="OrtEnvironment.MessageLogged"/>.</summary>
public sealed class OrtLogEventArgs : EventArgs
{
    internal OrtLogEventArgs(OrtLoggingLevel level, string category, string logId, string codeLocation, string message)
    {
        Level = level;
        Category = category;
        LogId = logId;
        CodeLocation = codeLocation;
        Message = message;
    }

    /// <summary>Severity.</summary>
    public OrtLoggingLevel Level { get; }

    /// <summary>ONNX Runtime's category, e.g. "onnxruntime".</summary>
    public string Category { get; }

    /// <summary>The logger id (the environment's or a session's).</summary>
    public string LogId { get; }

    /// <summary>Source location inside ONNX Runtime.</summary>
    public string CodeLocation { get; }

    /// <summary>The message text.</summary>
    public string Message { get; }

    /// <inheritdoc />
    public override string ToString() => $"[{Level}] {Category} {CodeLocation}: {Message}";
}
