using OrtDiffusion.Onnx.Autodiff;
using OrtDiffusion.Runtime;

namespace OrtDiffusion.Models;

/// <summary>
/// A network that can be differentiated through ONNX Runtime, in two calls: <see cref="Forward"/> runs the
/// forward graph and keeps every value the backward pass will read (the residuals); once the caller has
/// computed the cotangent of the output — typically through other networks and hand-written chain rule —
/// <see cref="Backward"/> returns the vector-Jacobian products. Nothing is recomputed between the two.
/// The two graphs are built once by the differentiator and cached beside the model, sharing its weight file.
/// </summary>
public sealed class DifferentiableModel : IDisposable
{
    private readonly InferenceSession forward;
    private readonly InferenceSession backward;
    private readonly SplitVjpFiles files;
    private readonly string[] forwardOutputs;

    private DifferentiableModel(SplitVjpFiles files, string output, IReadOnlyList<string> wrt, ExecutionOptions options)
    {
        this.files = files;
        Output = output;
        Wrt = wrt;
        forward = options.OpenSession(files.ForwardPath);
        try
        {
            backward = options.OpenSession(files.BackwardPath);
        }
        catch
        {
            forward.Dispose();
            throw;
        }

        forwardOutputs = [output, .. files.Residuals];
    }

    /// <summary>The differentiated output.</summary>
    public string Output { get; }

    /// <summary>The inputs gradients are returned for, in order.</summary>
    public IReadOnlyList<string> Wrt { get; }

    /// <summary>Number of residual tensors handed from the forward to the backward pass.</summary>
    public int ResidualCount => files.Residuals.Count;

    /// <summary>Opens (building and caching when needed) the split VJP of <paramref name="modelPath"/>.</summary>
    public static DifferentiableModel Open(string modelPath, string output, IReadOnlyList<string> wrt, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var files = VjpCache.GetOrBuildSplit(modelPath, output, wrt);
        return new DifferentiableModel(files, output, wrt, options);
    }

    /// <summary>
    /// Runs the forward pass. The returned record owns the output, the residuals and copies of the inputs the
    /// backward pass reads (so the caller may reuse its input buffers); dispose it after <see cref="Backward"/>.
    /// </summary>
    public ForwardRecord Forward(IReadOnlyDictionary<string, OrtValue> inputs, RunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var outputs = forward.Run(inputs, forwardOutputs, runOptions);
        var kept = new Dictionary<string, OrtValue>(StringComparer.Ordinal);
        try
        {
            foreach (var name in files.BackwardInputs)
            {
                if (!inputs.TryGetValue(name, out var value))
                {
                    throw new ArgumentException($"'{files.ForwardPath}' needs input '{name}'.", nameof(inputs));
                }

                kept[name] = Copy(value);
            }
        }
        catch
        {
            outputs.Dispose();
            foreach (var v in kept.Values)
            {
                v.Dispose();
            }

            throw;
        }

        return new ForwardRecord(outputs, kept);
    }

    /// <summary>The gradients of ⟨cotangent, output⟩ with respect to <see cref="Wrt"/>, keyed by input name.</summary>
    public RunOutputs Backward(ForwardRecord record, OrtValue cotangent, RunOptions? runOptions = null)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(cotangent);
        var feeds = new Dictionary<string, OrtValue>(StringComparer.Ordinal) { [Output + VjpBuilder.GradSuffix] = cotangent };
        foreach (var r in files.Residuals)
        {
            feeds[r] = record.Outputs[r];
        }

        foreach (var (name, value) in record.KeptInputs)
        {
            feeds[name] = value;
        }

        return backward.Run(feeds, [.. Wrt.Select(w => w + VjpBuilder.GradSuffix)], runOptions);
    }

    /// <summary>Releases both sessions.</summary>
    public void Dispose()
    {
        forward.Dispose();
        backward.Dispose();
    }

    private static OrtValue Copy(OrtValue value) => value.ElementType switch
    {
        TensorElementType.Float => OrtValue.CreateTensor(value.ToArray<float>(), value.Shape),
        TensorElementType.Float16 => OrtValue.CreateTensor(value.ToArray<Half>(), value.Shape),
        TensorElementType.Int64 => OrtValue.CreateTensor(value.ToArray<long>(), value.Shape),
        TensorElementType.Int32 => OrtValue.CreateTensor(value.ToArray<int>(), value.Shape),
        TensorElementType.Bool => OrtValue.CreateTensor(value.ToArray<bool>(), value.Shape),
        var t => throw new NotSupportedException($"Cannot keep a {t} input for the backward pass."),
    };
}

/// <summary>What a forward pass kept for its backward pass: the output, the residuals and input copies.</summary>
public sealed class ForwardRecord : IDisposable
{
    internal ForwardRecord(RunOutputs outputs, Dictionary<string, OrtValue> keptInputs)
    {
        Outputs = outputs;
        KeptInputs = keptInputs;
    }

    /// <summary>The forward output (first) and the residuals, by name.</summary>
    public RunOutputs Outputs { get; }

    /// <summary>The forward output.</summary>
    public OrtValue Output => Outputs[0];

    internal Dictionary<string, OrtValue> KeptInputs { get; }

    /// <summary>Releases the residuals.</summary>
    public void Dispose()
    {
        Outputs.Dispose();
        foreach (var v in KeptInputs.Values)
        {
            v.Dispose();
        }
    }
}
