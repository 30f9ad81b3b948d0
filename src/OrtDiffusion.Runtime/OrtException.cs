namespace OrtDiffusion.Runtime;

/// <summary>
/// An error reported by ONNX Runtime. The message is ONNX Runtime's own, followed by which C API call failed
/// and on what (the model file, the input…).
/// </summary>
public sealed class OrtException : Exception
{
    /// <summary>Creates the exception from ONNX Runtime's code and message and our context.</summary>
    /// <param name="code">ONNX Runtime's error code.</param>
    /// <param name="ortMessage">ONNX Runtime's message, verbatim.</param>
    /// <param name="operation">The C API call that failed, e.g. "CreateSession".</param>
    /// <param name="subject">What it failed on, e.g. "model '/models/unet/model.onnx'"; may be null.</param>
    public OrtException(OrtErrorCode code, string ortMessage, string operation, string? subject = null)
        : base(Format(code, ortMessage, operation, subject))
    {
        Code = code;
        OrtMessage = ortMessage;
        Operation = operation;
        Subject = subject;
    }

    /// <summary>ONNX Runtime's error code.</summary>
    public OrtErrorCode Code { get; }

    /// <summary>ONNX Runtime's message, without our context.</summary>
    public string OrtMessage { get; }

    /// <summary>The C API call that failed.</summary>
    public string Operation { get; }

    /// <summary>What the call was working on (model file, input name), if known.</summary>
    public string? Subject { get; }

    private static string Format(OrtErrorCode code, string ortMessage, string operation, string? subject) =>
        subject is null
            ? $"ONNX Runtime {operation} failed ({code}): {ortMessage}"
            : $"ONNX Runtime {operation} failed for {subject} ({code}): {ortMessage}";
}
