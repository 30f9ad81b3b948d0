using System.Security.Cryptography;
using Google.Protobuf;
using OrtDiffusion.Onnx.IO;
using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Onnx;

/// <summary>
/// An ONNX model in memory: the graph and its inline initializers. Initializers stored in external
/// data files are never read at load time, so graphs whose weights exceed 2 GB load in little memory.
/// </summary>
public sealed class OnnxModel
{
    private OnnxModel(ModelProto proto, string? filePath)
    {
        Proto = proto;
        FilePath = filePath;
    }

    /// <summary>The protobuf message.</summary>
    public ModelProto Proto { get; }

    /// <summary>The main graph.</summary>
    public GraphProto Graph => Proto.Graph;

    /// <summary>The file the model was loaded from or last saved to, if any.</summary>
    public string? FilePath { get; private set; }

    /// <summary>The folder external data locations are relative to.</summary>
    public string? Directory => FilePath is null ? null : Path.GetDirectoryName(Path.GetFullPath(FilePath));

    /// <summary>Wraps a message built in memory.</summary>
    public static OnnxModel FromProto(ModelProto proto, string? filePath = null)
    {
        ArgumentNullException.ThrowIfNull(proto);
        return new OnnxModel(proto, filePath);
    }

    /// <summary>Loads the graph from <paramref name="path"/> without reading external weights.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">The file is not a valid ONNX model.</exception>
    public static OnnxModel Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"ONNX model file '{path}' does not exist.", path);
        }

        ModelProto proto;
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
            var input = new CodedInputStream(stream);
            proto = ModelProto.Parser.ParseFrom(input);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"'{path}' is not a valid ONNX model: {e.Message}", e);
        }

        if (proto.Graph is null)
        {
            throw new InvalidDataException($"'{path}' is not a valid ONNX model: it has no graph.");
        }

        return new OnnxModel(proto, path);
    }

    /// <summary>The opset version imported for <paramref name="domain"/> ("" is the default ONNX domain), or null.</summary>
    public long? OpsetVersion(string domain = "")
    {
        foreach (var import in Proto.OpsetImport)
        {
            var d = import.Domain == "ai.onnx" ? "" : import.Domain;
            if (d == domain)
            {
                return import.Version;
            }
        }

        return null;
    }

    /// <summary>The distinct external data files the initializers refer to, relative to <see cref="Directory"/>.</summary>
    public IReadOnlyList<string> ExternalDataFiles() =>
        Graph.Initializer.Select(ExternalDataReference.From).OfType<ExternalDataReference>()
            .Select(r => r.Location).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Reads one initializer's values as float (external data read on demand).</summary>
    public float[] ReadInitializerAsFloat(string name) => TensorProtos.ReadAsFloat(FindInitializer(name), Directory);

    /// <summary>The initializer called <paramref name="name"/>.</summary>
    public TensorProto FindInitializer(string name) =>
        Graph.Initializer.FirstOrDefault(t => t.Name == name)
        ?? throw new KeyNotFoundException($"Model '{FilePath ?? Graph.Name}' has no initializer '{name}'.");

    /// <summary>
    /// A SHA-256 of the serialised graph file (weights in external files excluded): equal for equal graphs
    /// and inline constants, so derived artefacts such as VJP graphs can be cached by it.
    /// </summary>
    public string ContentHash()
    {
        var bytes = Proto.ToByteArray();
        return Convert.ToHexStringLower(SHA256.HashData(bytes));
    }

    /// <summary>
    /// Writes the model to <paramref name="path"/> atomically. External data references are kept as they are, so
    /// the file must be written where they resolve (normally beside the forward model); otherwise this throws.
    /// </summary>
    public void Save(string path)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        CheckExternalReferencesResolveFrom(folder);
        AtomicWrite.File(path, stream => Proto.WriteTo(stream));
        FilePath = path;
    }

    /// <summary>
    /// Writes the model to <paramref name="path"/> with every initializer of at least <paramref name="thresholdBytes"/>
    /// bytes moved into <paramref name="dataFileName"/> beside it (the layout Optimum writes: <c>model.onnx</c> +
    /// <c>model.onnx_data</c>). Weights already external are streamed across one tensor at a time.
    /// </summary>
    public void SaveWithExternalData(string path, string dataFileName, long thresholdBytes = 1024)
    {
        ArgumentException.ThrowIfNullOrEmpty(dataFileName);
        if (Path.GetFileName(dataFileName) != dataFileName)
        {
            throw new ArgumentException($"External data file name '{dataFileName}' must be a plain file name.", nameof(dataFileName));
        }

        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var copy = Proto.Clone();
        AtomicWrite.File(Path.Combine(folder, dataFileName), data =>
        {
            foreach (var tensor in copy.Graph.Initializer)
            {
                var bytes = InitializerBytes(tensor);
                if (bytes.Length < thresholdBytes)
                {
                    continue;
                }

                // Optimum aligns tensors in the data file; 64 bytes keeps memory mapping happy.
                var padding = (64 - (data.Position % 64)) % 64;
                data.Write(new byte[padding]);
                var reference = new ExternalDataReference(dataFileName, data.Position, bytes.Length);
                data.Write(bytes);
                reference.ApplyTo(tensor);
            }
        });
        AtomicWrite.File(path, stream => copy.WriteTo(stream));
        FilePath = path;
    }

    private byte[] InitializerBytes(TensorProto tensor)
    {
        var external = ExternalDataReference.From(tensor);
        if (external is null)
        {
            if (!tensor.RawData.IsEmpty)
            {
                return tensor.RawData.ToByteArray();
            }

            // Typed fields: normalise to raw little-endian bytes.
            return TensorProtos.TypeOf(tensor) switch
            {
                ElementType.Float => ToBytes(TensorProtos.Read<float>(tensor)),
                ElementType.Int64 => ToBytes(TensorProtos.Read<long>(tensor)),
                ElementType.Int32 => ToBytes(TensorProtos.Read<int>(tensor)),
                ElementType.Double => ToBytes(TensorProtos.Read<double>(tensor)),
                ElementType.Float16 => ToBytes(TensorProtos.Read<Half>(tensor)),
                ElementType.Bool => ToBytes(TensorProtos.Read<bool>(tensor)),
                _ => [],
            };
        }

        var path = Path.Combine(Directory ?? throw new InvalidOperationException("The model has no folder to read external data from."), external.Location);
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        var length = external.Length ?? (file.Length - external.Offset);
        var bytes = new byte[length];
        file.Position = external.Offset;
        file.ReadExactly(bytes);
        return bytes;
    }

    private static byte[] ToBytes<T>(T[] values)
        where T : unmanaged => System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).ToArray();

    private void CheckExternalReferencesResolveFrom(string folder)
    {
        foreach (var location in ExternalDataFiles())
        {
            if (!File.Exists(Path.Combine(folder, location)))
            {
                throw new InvalidOperationException(
                    $"The model refers to external data '{location}', which does not exist in '{folder}'. " +
                    "Save it in the folder of its weights, or use SaveWithExternalData to write the weights too.");
            }
        }
    }
}
