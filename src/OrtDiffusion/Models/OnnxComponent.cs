using OrtDiffusion.Runtime;

namespace OrtDiffusion.Models;

/// <summary>
/// One ONNX network of a pipeline (text encoder, UNet, VAE half…): its session, its file, and the lookup of
/// inputs and outputs by the names exporters use, with errors that name the file and the expectation.
/// </summary>
public abstract class OnnxComponent : IDisposable
{
    private bool disposed;

    /// <summary>Opens the model at <paramref name="modelPath"/>.</summary>
    /// <param name="modelPath">The ONNX file.</param>
    /// <param name="role">What the model is for, as error messages name it (e.g. "UNet").</param>
    /// <param name="options">Device and threads.</param>
    protected OnnxComponent(string modelPath, string role, ExecutionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"The {role} model '{modelPath}' does not exist.", modelPath);
        }

        ModelPath = modelPath;
        Role = role;
        Options = options;
        Session = options.OpenSession(modelPath);
    }

    /// <summary>The ONNX file.</summary>
    public string ModelPath { get; }

    /// <summary>What the model is for.</summary>
    public string Role { get; }

    /// <summary>The execution options it was opened with.</summary>
    public ExecutionOptions Options { get; }

    /// <summary>The session.</summary>
    protected InferenceSession Session { get; }

    /// <summary>The input called one of <paramref name="names"/>, in order of preference.</summary>
    protected NodeMetadata RequireInput(string expectation, params string[] names) =>
        Find(Session.Inputs, names) ?? throw new InvalidDataException(
            $"The {Role} model '{ModelPath}' has no input named {string.Join(" or ", names.Select(n => $"'{n}'"))} ({expectation}). " +
            $"Its inputs: {string.Join(", ", Session.Inputs.Select(i => $"{i.Name} {i.ElementType}{i.ShapeText}"))}.");

    /// <summary>The input called one of <paramref name="names"/>, or null when the model has none of them.</summary>
    protected NodeMetadata? OptionalInput(params string[] names) => Find(Session.Inputs, names);

    /// <summary>The output called one of <paramref name="names"/>, or the first output when <paramref name="orFirst"/>.</summary>
    protected NodeMetadata RequireOutput(string expectation, bool orFirst, params string[] names) =>
        Find(Session.Outputs, names) ?? (orFirst && Session.Outputs.Count > 0 ? Session.Outputs[0] : null) ?? throw new InvalidDataException(
            $"The {Role} model '{ModelPath}' has no output named {string.Join(" or ", names.Select(n => $"'{n}'"))} ({expectation}). " +
            $"Its outputs: {string.Join(", ", Session.Outputs.Select(o => o.Name))}.");

    /// <summary>Throws unless <paramref name="node"/> has one of the element types.</summary>
    protected void RequireType(NodeMetadata node, params TensorElementType[] types)
    {
        if (!types.Contains(node.ElementType))
        {
            throw new InvalidDataException($"The {Role} model '{ModelPath}': '{node.Name}' is {node.ElementType}; expected {string.Join(" or ", types)}.");
        }
    }

    /// <summary>Throws unless <paramref name="node"/> has rank <paramref name="rank"/>.</summary>
    protected void RequireRank(NodeMetadata node, int rank, string meaning)
    {
        if (node.Rank != rank)
        {
            throw new InvalidDataException($"The {Role} model '{ModelPath}': '{node.Name}' has shape {node.ShapeText}; expected rank {rank} ({meaning}).");
        }
    }

    /// <summary>Releases the session.</summary>
    public void Dispose()
    {
        if (!disposed)
        {
            disposed = true;
            Dispose(true);
            GC.SuppressFinalize(this);
        }
    }

    /// <summary>Releases the session and whatever the subclass holds.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            Session.Dispose();
        }
    }

    private static NodeMetadata? Find(IReadOnlyList<NodeMetadata> nodes, string[] names)
    {
        foreach (var name in names)
        {
            foreach (var node in nodes)
            {
                if (node.Name == name)
                {
                    return node;
                }
            }
        }

        return null;
    }
}
