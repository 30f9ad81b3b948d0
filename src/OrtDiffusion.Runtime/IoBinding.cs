using OrtDiffusion.Runtime.Native;

namespace OrtDiffusion.Runtime;

/// <summary>
/// Binds values to a session's inputs and outputs ahead of time (an <c>OrtIoBinding</c>), so repeated runs
/// reuse them and outputs can stay on a device. Bound values are kept alive by the binding until cleared
/// or disposed; they must not be disposed while bound.
/// </summary>
public sealed unsafe class IoBinding : IDisposable
{
    private readonly InferenceSession _session;
    private readonly OrtHandle _handle;
    private readonly Dictionary<string, OrtValue> _boundInputs = new(StringComparer.Ordinal);
    private readonly Dictionary<string, object> _boundOutputs = new(StringComparer.Ordinal);

    internal IoBinding(InferenceSession session)
    {
        _session = session;
        IntPtr binding;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.CreateIoBinding))(session.Raw, &binding),
            "CreateIoBinding", session.Subject);
        _handle = new OrtHandle(binding, OrtApiSlots.ReleaseIoBinding);
    }

    /// <summary>Binds <paramref name="value"/> to the input <paramref name="name"/>, after the same checks as <see cref="InferenceSession.Run(IReadOnlyDictionary{string, OrtValue}, IReadOnlyList{string}?, RunOptions?)"/>.</summary>
    public void BindInput(string name, OrtValue value)
    {
        var index = _session.InputIndexOf(name, nameof(name));
        RunValidation.CheckInput(_session.ModelPath, _session.Inputs[index], value, nameof(value));
        var status = ((delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, IntPtr>)NativeApi.Fn(OrtApiSlots.BindInput))(
            Raw, _session.InputNamePointer(index), value.Raw);
        OrtStatus.Check(status, "BindInput", $"{_session.Subject}, input '{name}'");
        _boundInputs[name] = value;
    }

    /// <summary>Binds a preallocated tensor to the output <paramref name="name"/>; runs write into it.</summary>
    public void BindOutput(string name, OrtValue value)
    {
        var index = _session.OutputIndexOf(name, nameof(name));
        ArgumentNullException.ThrowIfNull(value);
        RunValidation.CheckOutput(_session.ModelPath, _session.Outputs[index], value, nameof(value));
        var status = ((delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, IntPtr>)NativeApi.Fn(OrtApiSlots.BindOutput))(
            Raw, _session.OutputNamePointer(index), value.Raw);
        OrtStatus.Check(status, "BindOutput", $"{_session.Subject}, output '{name}'");
        _boundOutputs[name] = value;
    }

    /// <summary>Binds the output <paramref name="name"/> to a device: ONNX Runtime allocates it there on each run.</summary>
    public void BindOutputToDevice(string name, OrtMemoryInfo memoryInfo)
    {
        var index = _session.OutputIndexOf(name, nameof(name));
        ArgumentNullException.ThrowIfNull(memoryInfo);
        var status = ((delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, IntPtr>)NativeApi.Fn(OrtApiSlots.BindOutputToDevice))(
            Raw, _session.OutputNamePointer(index), memoryInfo.Raw);
        OrtStatus.Check(status, "BindOutputToDevice", $"{_session.Subject}, output '{name}' on {memoryInfo}");
        _boundOutputs[name] = memoryInfo;
    }

    /// <summary>Runs the session with the bound values.</summary>
    /// <exception cref="OperationCanceledException">The run was terminated through <paramref name="options"/>.</exception>
    /// <exception cref="OrtException">ONNX Runtime rejected the run (e.g. an input left unbound).</exception>
    public void Run(RunOptions? options = null)
    {
        var runOptions = options?.Raw ?? IntPtr.Zero;
        var status = ((delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr, IntPtr>)NativeApi.Fn(OrtApiSlots.RunWithBinding))(
            _session.Raw, runOptions, Raw);
        if (status != IntPtr.Zero)
            throw _session.RunFailure(status, options);
    }

    /// <summary>Names of the bound outputs, in binding order.</summary>
    public IReadOnlyList<string> GetOutputNames()
    {
        IntPtr allocator = DefaultAllocator();
        byte* buffer;
        nuint* lengths;
        nuint count;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, IntPtr, byte**, nuint**, nuint*, IntPtr>)NativeApi.Fn(OrtApiSlots.GetBoundOutputNames))(
            Raw, allocator, &buffer, &lengths, &count), "GetBoundOutputNames", _session.Subject);
        if (count == 0)
            return [];
        try
        {
            var names = new string[(int)count];
            var offset = 0;
            for (var i = 0; i < names.Length; i++)
            {
                var length = (int)lengths[i];
                names[i] = System.Text.Encoding.UTF8.GetString(buffer + offset, length);
                offset += length;
            }
            return names;
        }
        finally
        {
            Free(allocator, buffer);
            Free(allocator, lengths);
        }
    }

    /// <summary>
    /// The outputs of the last <see cref="Run"/>, in binding order, as new values owned by the caller. Outputs
    /// bound to preallocated tensors share those tensors' memory.
    /// </summary>
    public RunOutputs GetOutputValues()
    {
        var names = GetOutputNames();
        IntPtr allocator = DefaultAllocator();
        IntPtr* values;
        nuint count;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, IntPtr, IntPtr**, nuint*, IntPtr>)NativeApi.Fn(OrtApiSlots.GetBoundOutputValues))(
            Raw, allocator, &values, &count), "GetBoundOutputValues", _session.Subject);
        if (count == 0)
            return new RunOutputs([], []);
        var wrapped = new OrtValue[(int)count];
        var done = 0;
        try
        {
            for (; done < wrapped.Length; done++)
                wrapped[done] = OrtValue.FromNative(values[done]);
        }
        catch
        {
            for (var i = 0; i < done; i++)
                wrapped[i].Dispose();
            for (var i = done + 1; i < wrapped.Length; i++)
                ((delegate* unmanaged[Cdecl]<IntPtr, void>)NativeApi.Fn(OrtApiSlots.ReleaseValue))(values[i]);
            throw;
        }
        finally
        {
            Free(allocator, values);
        }
        return new RunOutputs([.. names], wrapped);
    }

    /// <summary>Unbinds all inputs.</summary>
    public void ClearBoundInputs()
    {
        ((delegate* unmanaged[Cdecl]<IntPtr, void>)NativeApi.Fn(OrtApiSlots.ClearBoundInputs))(Raw);
        _boundInputs.Clear();
    }

    /// <summary>Unbinds all outputs.</summary>
    public void ClearBoundOutputs()
    {
        ((delegate* unmanaged[Cdecl]<IntPtr, void>)NativeApi.Fn(OrtApiSlots.ClearBoundOutputs))(Raw);
        _boundOutputs.Clear();
    }

    /// <summary>Waits for bound inputs to be ready on their device (a no-op on the CPU).</summary>
    public void SynchronizeInputs() =>
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeApi.Fn(OrtApiSlots.SynchronizeBoundInputs))(Raw), "SynchronizeBoundInputs", _session.Subject);

    /// <summary>Waits for bound outputs to be ready on their device (a no-op on the CPU).</summary>
    public void SynchronizeOutputs() =>
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, IntPtr>)NativeApi.Fn(OrtApiSlots.SynchronizeBoundOutputs))(Raw), "SynchronizeBoundOutputs", _session.Subject);

    /// <summary>Releases the native binding and lets go of the bound values. Safe to call twice.</summary>
    public void Dispose()
    {
        _handle.Dispose();
        _boundInputs.Clear();
        _boundOutputs.Clear();
    }

    private IntPtr Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    private static IntPtr DefaultAllocator()
    {
        IntPtr allocator;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.GetAllocatorWithDefaultOptions))(&allocator),
            "GetAllocatorWithDefaultOptions");
        return allocator;
    }

    private static void Free(IntPtr allocator, void* block) =>
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, void*, IntPtr>)NativeApi.Fn(OrtApiSlots.AllocatorFree))(allocator, block), "AllocatorFree");
}
