using OrtDiffusion.Runtime.Native;

namespace OrtDiffusion.Runtime;

/// <summary>
/// A loaded ONNX model ready to run (an <c>OrtSession</c>). Weights in external data files are found relative
/// to the model file. Runs may be issued from several threads at once.
/// </summary>
public sealed unsafe partial class InferenceSession : IDisposable
{
    private const int StackNames = 32;
    private readonly OrtHandle _handle;
    private readonly NodeMetadata[] _inputs;
    private readonly NodeMetadata[] _outputs;
    private readonly Dictionary<string, int> _inputIndex;
    private readonly Dictionary<string, int> _outputIndex;
    private readonly NativeStrings _inputNames;
    private readonly NativeStrings _outputNames;

    /// <summary>Loads the model at <paramref name="modelPath"/>.</summary>
    /// <param name="modelPath">The .onnx file; external data files are resolved relative to it.</param>
    /// <param name="options">Session settings; null for ONNX Runtime's defaults (CPU).</param>
    /// <exception cref="FileNotFoundException">There is no file at <paramref name="modelPath"/>.</exception>
    /// <exception cref="OrtException">ONNX Runtime cannot load the model (corrupt file, unsupported op…).</exception>
    public InferenceSession(string modelPath, SessionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        ModelPath = Path.GetFullPath(modelPath);
        if (!File.Exists(ModelPath))
            throw new FileNotFoundException($"The ONNX model file '{ModelPath}' does not exist.", ModelPath);

        var environment = OrtEnvironment.Instance.Handle;
        var ownedOptions = options is null ? new SessionOptions() : null;
        try
        {
            var rawOptions = (options ?? ownedOptions!).Handle;
            ObjectDisposedException.ThrowIf(rawOptions.IsClosed, options ?? ownedOptions!);
            _handle = new OrtHandle(CreateSession(environment, ModelPath, rawOptions.DangerousGetHandle(), Subject), OrtApiSlots.ReleaseSession);
        }
        finally
        {
            ownedOptions?.Dispose();
        }

        try
        {
            var session = _handle.DangerousGetHandle();
            _inputs = ReadNodes(session, inputs: true);
            _outputs = ReadNodes(session, inputs: false);
            _inputIndex = IndexByName(_inputs);
            _outputIndex = IndexByName(_outputs);
            _inputNames = new NativeStrings(Array.ConvertAll(_inputs, n => n.Name));
            _outputNames = new NativeStrings(Array.ConvertAll(_outputs, n => n.Name));
        }
        catch
        {
            _handle.Dispose();
            throw;
        }
    }

    /// <summary>Full path of the model file.</summary>
    public string ModelPath { get; }

    /// <summary>The model's inputs (without initializers), in the model's order.</summary>
    public IReadOnlyList<NodeMetadata> Inputs => _inputs;

    /// <summary>The model's outputs, in the model's order.</summary>
    public IReadOnlyList<NodeMetadata> Outputs => _outputs;

    /// <summary>Whether <see cref="Dispose"/> has run.</summary>
    public bool IsDisposed => _handle.IsClosed;

    /// <summary>Metadata of the input called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The model has no such input; the message lists those it has.</exception>
    public NodeMetadata GetInput(string name) => _inputs[InputIndexOf(name, nameof(name))];

    /// <summary>Metadata of the output called <paramref name="name"/>.</summary>
    /// <exception cref="ArgumentException">The model has no such output; the message lists those it has.</exception>
    public NodeMetadata GetOutput(string name) => _outputs[OutputIndexOf(name, nameof(name))];

    /// <summary>Creates an IO binding for this session.</summary>
    public IoBinding CreateIoBinding() => new(this);

    /// <summary>
    /// Releases the native session (once runs still in progress have returned). Values it produced stay valid.
    /// Safe to call twice.
    /// </summary>
    public void Dispose()
    {
        _handle.Dispose();
        _inputNames.Dispose();
        _outputNames.Dispose();
    }

    internal string Subject => $"model '{ModelPath}'";

    internal IntPtr Raw
    {
        get
        {
            ObjectDisposedException.ThrowIf(_handle.IsClosed, this);
            return _handle.DangerousGetHandle();
        }
    }

    internal int InputIndexOf(string name, string paramName)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        return _inputIndex.TryGetValue(name, out var index)
            ? index
            : throw RunValidation.UnknownName(ModelPath, "input", name, _inputs, paramName);
    }

    internal int OutputIndexOf(string name, string paramName)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        return _outputIndex.TryGetValue(name, out var index)
            ? index
            : throw RunValidation.UnknownName(ModelPath, "output", name, _outputs, paramName);
    }

    /// <summary>Native UTF-8 name of input <paramref name="index"/>, cached for the session's life.</summary>
    internal IntPtr InputNamePointer(int index) => _inputNames.Pointers[index];

    /// <summary>Native UTF-8 name of output <paramref name="index"/>, cached for the session's life.</summary>
    internal IntPtr OutputNamePointer(int index) => _outputNames.Pointers[index];

    private static IntPtr CreateSession(IntPtr environment, string modelPath, IntPtr options, string subject)
    {
        IntPtr session;
        IntPtr status;
        var create = (delegate* unmanaged[Cdecl]<IntPtr, void*, IntPtr, IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.CreateSession);
        if (OperatingSystem.IsWindows())
        {
            // ORTCHAR_T is wchar_t on Windows and char (UTF-8) elsewhere.
            fixed (char* path = modelPath)
                status = create(environment, path, options, &session);
        }
        else
        {
            fixed (byte* path = Utf8.NulTerminated(modelPath))
                status = create(environment, path, options, &session);
        }
        OrtStatus.Check(status, "CreateSession", subject);
        return session;
    }

    private NodeMetadata[] ReadNodes(IntPtr session, bool inputs)
    {
        var countSlot = inputs ? OrtApiSlots.SessionGetInputCount : OrtApiSlots.SessionGetOutputCount;
        var nameSlot = inputs ? OrtApiSlots.SessionGetInputName : OrtApiSlots.SessionGetOutputName;
        var typeSlot = inputs ? OrtApiSlots.SessionGetInputTypeInfo : OrtApiSlots.SessionGetOutputTypeInfo;

        nuint count;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, nuint*, IntPtr>)NativeApi.Fn(countSlot))(session, &count), inputs ? "SessionGetInputCount" : "SessionGetOutputCount", Subject);
        IntPtr allocator;
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.GetAllocatorWithDefaultOptions))(&allocator), "GetAllocatorWithDefaultOptions");

        var nodes = new NodeMetadata[(int)count];
        for (nuint i = 0; i < count; i++)
        {
            byte* rawName;
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, nuint, IntPtr, byte**, IntPtr>)NativeApi.Fn(nameSlot))(session, i, allocator, &rawName),
                inputs ? "SessionGetInputName" : "SessionGetOutputName", Subject);
            string name;
            try
            {
                name = Utf8.ToString(rawName) ?? "";
            }
            finally
            {
                OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, void*, IntPtr>)NativeApi.Fn(OrtApiSlots.AllocatorFree))(allocator, rawName), "AllocatorFree");
            }

            IntPtr typeInfo;
            OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, nuint, IntPtr*, IntPtr>)NativeApi.Fn(typeSlot))(session, i, &typeInfo),
                inputs ? "SessionGetInputTypeInfo" : "SessionGetOutputTypeInfo", $"{Subject}, '{name}'");
            try
            {
                nodes[(int)i] = ReadNode(name, typeInfo);
            }
            finally
            {
                ((delegate* unmanaged[Cdecl]<IntPtr, void>)NativeApi.Fn(OrtApiSlots.ReleaseTypeInfo))(typeInfo);
            }
        }
        return nodes;
    }

    private static NodeMetadata ReadNode(string name, IntPtr typeInfo)
    {
        IntPtr tensorInfo; // owned by typeInfo; null when the node is not a tensor
        OrtStatus.Check(((delegate* unmanaged[Cdecl]<IntPtr, IntPtr*, IntPtr>)NativeApi.Fn(OrtApiSlots.CastTypeInfoToTensorInfo))(typeInfo, &tensorInfo),
            "CastTypeInfoToTensorInfo");
        if (tensorInfo == IntPtr.Zero)
            return new NodeMetadata(name, false, TensorElementType.Undefined, [], []);
        var (type, shape, symbolic) = TensorInfo.Read(tensorInfo, readSymbolic: true);
        return new NodeMetadata(name, true, type, shape, symbolic);
    }

    private static Dictionary<string, int> IndexByName(NodeMetadata[] nodes)
    {
        var index = new Dictionary<string, int>(nodes.Length, StringComparer.Ordinal);
        for (var i = 0; i < nodes.Length; i++)
            index[nodes[i].Name] = i;
        return index;
    }
}
