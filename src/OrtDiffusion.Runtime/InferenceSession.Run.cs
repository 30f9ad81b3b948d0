using OrtDiffusion.Runtime.Native;

namespace OrtDiffusion.Runtime;

// The Run overloads: a convenient one that returns new outputs, and an allocation-free one over spans.
public sealed unsafe partial class InferenceSession
{
    /// <summary>
    /// Runs the model. Inputs are checked against <see cref="Inputs"/> first (names, element types, ranks,
    /// fixed dimensions), and mistakes throw <see cref="ArgumentException"/> naming the model and the input.
    /// </summary>
    /// <param name="inputs">Every model input, by name.</param>
    /// <param name="outputNames">Outputs to compute, in the order wanted; null for all, in model order.</param>
    /// <param name="options">Run options (e.g. for <see cref="RunOptions.Terminate"/>); may be null.</param>
    /// <returns>The outputs, owned by the caller: dispose them.</returns>
    /// <exception cref="OperationCanceledException">The run was terminated through <paramref name="options"/>.</exception>
    /// <exception cref="OrtException">ONNX Runtime rejected the run (e.g. an operator's shape check).</exception>
    public RunOutputs Run(IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyList<string>? outputNames = null, RunOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var names = new string[inputs.Count];
        var values = new OrtValue[inputs.Count];
        var i = 0;
        foreach (var (name, value) in inputs)
        {
            names[i] = name;
            values[i++] = value;
        }
        var outputs = outputNames is null ? Array.ConvertAll(_outputs, o => o.Name) : [.. outputNames];
        var results = new OrtValue?[outputs.Length];
        Run(names, values, outputs, results, options);
        return new RunOutputs(outputs, results!);
    }

    /// <summary>Runs the model, stopping early with <see cref="OperationCanceledException"/> if <paramref name="cancellationToken"/> fires.</summary>
    /// <param name="inputs">Every model input, by name.</param>
    /// <param name="outputNames">Outputs to compute; null for all.</param>
    /// <param name="cancellationToken">Cancels the run at the next node boundary.</param>
    public RunOutputs Run(IReadOnlyDictionary<string, OrtValue> inputs, IReadOnlyList<string>? outputNames, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var options = new RunOptions();
        using var registration = options.CancelOn(cancellationToken);
        return Run(inputs, outputNames, options);
    }

    /// <summary>
    /// Runs the model without managed allocations (after the first call): input and output names are matched to
    /// native names cached by the session, pointer arrays live on the stack, and outputs that the caller
    /// preallocated (e.g. <see cref="OrtValue.CreateTensor{T}(T[], ReadOnlySpan{long})"/> over its own buffers)
    /// are written in place. Null entries of <paramref name="outputs"/> are filled with new values that ONNX
    /// Runtime allocates, owned by the caller.
    /// </summary>
    /// <param name="inputNames">Names of the inputs, parallel to <paramref name="inputs"/>; every model input once.</param>
    /// <param name="inputs">Input values.</param>
    /// <param name="outputNames">Names of the outputs to compute, parallel to <paramref name="outputs"/>.</param>
    /// <param name="outputs">Preallocated output tensors, or null entries to be filled.</param>
    /// <param name="options">Run options; may be null.</param>
    /// <exception cref="ArgumentException">A name, element type, rank or fixed dimension does not match the model.</exception>
    /// <exception cref="OperationCanceledException">The run was terminated through <paramref name="options"/>.</exception>
    /// <exception cref="OrtException">ONNX Runtime rejected the run.</exception>
    public void Run(ReadOnlySpan<string> inputNames, ReadOnlySpan<OrtValue> inputs, ReadOnlySpan<string> outputNames, Span<OrtValue?> outputs, RunOptions? options = null)
    {
        ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
        if (inputNames.Length != inputs.Length)
            throw new ArgumentException($"Model '{ModelPath}': {inputNames.Length} input names but {inputs.Length} input values.", nameof(inputs));
        if (outputNames.Length != outputs.Length)
            throw new ArgumentException($"Model '{ModelPath}': {outputNames.Length} output names but {outputs.Length} output slots.", nameof(outputs));
        if (outputNames.Length == 0)
            throw new ArgumentException($"Model '{ModelPath}': ask for at least one output.", nameof(outputNames));

        int inputCount = inputs.Length, outputCount = outputs.Length;
        Span<IntPtr> inputNamePointers = inputCount <= StackNames ? stackalloc IntPtr[inputCount] : new IntPtr[inputCount];
        Span<IntPtr> inputValues = inputCount <= StackNames ? stackalloc IntPtr[inputCount] : new IntPtr[inputCount];
        Span<IntPtr> outputNamePointers = outputCount <= StackNames ? stackalloc IntPtr[outputCount] : new IntPtr[outputCount];
        Span<IntPtr> outputValues = outputCount <= StackNames ? stackalloc IntPtr[outputCount] : new IntPtr[outputCount];
        Span<bool> given = _inputs.Length <= 256 ? stackalloc bool[_inputs.Length] : new bool[_inputs.Length];
        given.Clear();

        for (var i = 0; i < inputCount; i++)
        {
            var index = InputIndexOf(inputNames[i], nameof(inputNames));
            if (given[index])
                throw new ArgumentException($"Model '{ModelPath}': input '{inputNames[i]}' is given twice.", nameof(inputNames));
            given[index] = true;
            RunValidation.CheckInput(ModelPath, _inputs[index], inputs[i], nameof(inputs));
            inputNamePointers[i] = InputNamePointer(index);
            inputValues[i] = inputs[i].Raw;
        }
        if (inputCount != _inputs.Length)
            throw MissingInputs(given);

        for (var j = 0; j < outputCount; j++)
        {
            var index = OutputIndexOf(outputNames[j], nameof(outputNames));
            outputNamePointers[j] = OutputNamePointer(index);
            var preallocated = outputs[j];
            if (preallocated is null)
            {
                outputValues[j] = IntPtr.Zero;
            }
            else
            {
                RunValidation.CheckOutput(ModelPath, _outputs[index], preallocated, nameof(outputs));
                outputValues[j] = preallocated.Raw;
            }
        }

        var runOptions = options?.Raw ?? IntPtr.Zero;
        IntPtr status;
        bool referenced = false, inputNamesReferenced = false, outputNamesReferenced = false;
        try
        {
            // Holds the session and its cached names open for the duration of the native call, even if another
            // thread disposes the session meanwhile.
            _handle.DangerousAddRef(ref referenced);
            _inputNames.DangerousAddRef(ref inputNamesReferenced);
            _outputNames.DangerousAddRef(ref outputNamesReferenced);
            fixed (IntPtr* inNames = inputNamePointers, inValues = inputValues, outNames = outputNamePointers, outValues = outputValues)
            {
                status = ((delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr*, IntPtr*, nuint, IntPtr*, nuint, IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.Run))(
                    _handle.DangerousGetHandle(), runOptions, inNames, inValues, (nuint)inputCount, outNames, (nuint)outputCount, outValues);
            }
        }
        finally
        {
            if (outputNamesReferenced)
                _outputNames.DangerousRelease();
            if (inputNamesReferenced)
                _inputNames.DangerousRelease();
            if (referenced)
                _handle.DangerousRelease();
        }
        if (status != IntPtr.Zero)
            throw RunFailure(status, options);

        WrapNewOutputs(outputs, outputValues);
    }

    /// <summary>The exception for a failed run: cancellation if termination was requested, else ORT's error.</summary>
    internal Exception RunFailure(IntPtr status, RunOptions? options)
    {
        if (options is { IsTerminateRequested: true })
        {
            OrtStatus.Release(status);
            return options.CanceledException(ModelPath);
        }
        return OrtStatus.ToException(status, "Run", Subject);
    }

    private static void WrapNewOutputs(Span<OrtValue?> outputs, ReadOnlySpan<IntPtr> native)
    {
        for (var j = 0; j < outputs.Length; j++)
        {
            if (outputs[j] is not null)
                continue;
            try
            {
                outputs[j] = OrtValue.FromNative(native[j]);
            }
            catch
            {
                // Release what ORT allocated for the outputs not wrapped yet; wrapped ones belong to the caller.
                for (var k = j + 1; k < outputs.Length; k++)
                {
                    if (outputs[k] is null && native[k] != IntPtr.Zero)
                        ((delegate* unmanaged[Cdecl]<IntPtr, void>)NativeApi.Fn(OrtApiSlots.ReleaseValue))(native[k]);
                }
                throw;
            }
        }
    }

    private ArgumentException MissingInputs(ReadOnlySpan<bool> given)
    {
        var missing = new List<string>();
        for (var i = 0; i < _inputs.Length; i++)
        {
            if (!given[i])
                missing.Add(_inputs[i].ToString());
        }
        return new ArgumentException($"Model '{ModelPath}': missing required input(s): {string.Join(", ", missing)}.", "inputs");
    }
}
