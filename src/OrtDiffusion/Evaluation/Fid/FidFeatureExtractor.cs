using System.Text.Json;
using OrtDiffusion.Imaging;
using OrtDiffusion.Models;
using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// The FID feature network: a folder with <c>fid.json</c> and the ONNX model it names, taking <c>images [B, 3, H, W]</c>
/// RGB in [0, 1] at any size (resizing inside the graph) and returning <c>features [B, D]</c> — Inception-v3 pool3
/// (D = 2048) as <c>onnx-export/export_fid_inception.py</c> writes it, or the tiny zoo's network (D = 64).
/// </summary>
public sealed class FidFeatureExtractor : IDisposable
{
    /// <summary>The manifest's file name.</summary>
    public const string ManifestFileName = "fid.json";

    private readonly InferenceSession session;
    private readonly string inputName;
    private readonly string[] outputNames;
    private readonly bool minusOneToOne;

    private FidFeatureExtractor(string folder, InferenceSession session, string input, string output, int dimension, bool minusOneToOne)
    {
        Folder = folder;
        this.session = session;
        inputName = input;
        outputNames = [output];
        FeatureDimension = dimension;
        this.minusOneToOne = minusOneToOne;
    }

    /// <summary>The folder.</summary>
    public string Folder { get; }

    /// <summary>D, the length of a feature vector.</summary>
    public int FeatureDimension { get; }

    /// <summary>Opens the network in <paramref name="folder"/>.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder does not exist.</exception>
    /// <exception cref="FileNotFoundException"><c>fid.json</c> or the model is missing.</exception>
    /// <exception cref="InvalidDataException">The manifest is malformed or does not match the model's inputs and outputs.</exception>
    public static FidFeatureExtractor Load(string folder, ExecutionOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The FID model folder '{folder}' does not exist.");
        }

        var manifestPath = Path.Combine(folder, ManifestFileName);
        if (!File.Exists(manifestPath))
        {
            throw new FileNotFoundException($"The FID model folder '{folder}' has no {ManifestFileName} (onnx-export/export_fid_inception.py writes one).", manifestPath);
        }

        string model, input, output;
        int dimension;
        bool minusOne;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(manifestPath));
            var root = doc.RootElement;
            model = root.TryGetProperty("model", out var m) ? m.GetString() ?? "model.onnx" : "model.onnx";
            input = Required(root, "input", manifestPath).GetString()!;
            output = Required(root, "output", manifestPath).GetString()!;
            dimension = Required(root, "feature_dim", manifestPath).GetInt32();
            minusOne = root.TryGetProperty("input_range", out var range) && range.ValueKind == JsonValueKind.Array && range.GetArrayLength() == 2
                ? (range[0].GetDouble(), range[1].GetDouble()) switch
                {
                    (0, 1) => false,
                    (-1, 1) => true,
                    var other => throw new InvalidDataException($"'{manifestPath}': input_range {other} is neither [0, 1] nor [-1, 1]."),
                }
                : false;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"'{manifestPath}' is not a valid FID manifest: {e.Message}", e);
        }

        if (dimension < 1)
        {
            throw new InvalidDataException($"'{manifestPath}': feature_dim must be at least 1, not {dimension}.");
        }

        var modelPath = Path.Combine(folder, model);
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"The FID model '{modelPath}' named by {ManifestFileName} does not exist.", modelPath);
        }

        var session = (options ?? ExecutionOptions.Default).OpenSession(modelPath);
        try
        {
            var inputNode = session.Inputs.FirstOrDefault(i => i.Name == input)
                ?? throw new InvalidDataException($"The FID model '{modelPath}' has no input '{input}' (its inputs: {string.Join(", ", session.Inputs.Select(i => i.Name))}).");
            if (inputNode.Rank != 4 || inputNode.ElementType != TensorElementType.Float)
            {
                throw new InvalidDataException($"The FID model '{modelPath}': input '{input}' is {inputNode.ElementType}{inputNode.ShapeText}; expected float [batch, 3, height, width].");
            }

            var outputNode = session.Outputs.FirstOrDefault(o => o.Name == output)
                ?? throw new InvalidDataException($"The FID model '{modelPath}' has no output '{output}' (its outputs: {string.Join(", ", session.Outputs.Select(o => o.Name))}).");
            if (outputNode.Rank != 2 || (outputNode.Shape[1] > 0 && outputNode.Shape[1] != dimension))
            {
                throw new InvalidDataException($"The FID model '{modelPath}': output '{output}' is {outputNode.ShapeText}; {ManifestFileName} says [batch, {dimension}].");
            }

            return new FidFeatureExtractor(Path.GetFullPath(folder), session, input, output, dimension, minusOne);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Features of images <c>[B, 3, H, W]</c> in [0, 1]: <c>B × D</c> values, row-major.</summary>
    /// <exception cref="ArgumentException">The images are not <c>[B, 3, H, W]</c>.</exception>
    /// <exception cref="InvalidDataException">The network returned a wrong shape or a value that is not finite.</exception>
    public float[] Extract(FloatTensor images, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Shape.Length != 4 || images.Shape[1] != 3)
        {
            throw new ArgumentException($"FID features need images [B, 3, H, W]; got {FloatTensor.ShapeText(images.Shape)}.", nameof(images));
        }

        var data = images.Data;
        if (minusOneToOne)
        {
            data = new float[images.Length];
            System.Numerics.Tensors.TensorPrimitives.Multiply(images.Data, 2f, data);
            System.Numerics.Tensors.TensorPrimitives.Subtract(data, 1f, data);
        }

        using var value = OrtValue.CreateTensor(data, images.Shape);
        using var outputs = session.Run(new Dictionary<string, OrtValue> { [inputName] = value }, outputNames, cancellation);
        var features = outputs[0];
        if (features.Rank != 2 || features.Shape[0] != images.Shape[0] || features.Shape[1] != FeatureDimension)
        {
            throw new InvalidDataException($"The FID model in '{Folder}' returned {FloatTensor.ShapeText(features.Shape)} for {images.Shape[0]} image(s); expected [{images.Shape[0]}, {FeatureDimension}].");
        }

        var result = features.ToArray<float>();
        if (!FloatTensor.AllFinite(result))
        {
            throw new InvalidDataException($"The FID model in '{Folder}' returned a feature that is not finite.");
        }

        return result;
    }

    /// <summary>Features of one 8-bit image (converted to [0, 1] as pytorch-fid's loader does: value / 255).</summary>
    public float[] Extract(PixelImage image, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Extract(new FloatTensor(ImageTensor.FromImage(image, ImageValueRange.ZeroToOne), 1, 3, image.Height, image.Width), cancellation);
    }

    /// <summary>Releases the session.</summary>
    public void Dispose() => session.Dispose();

    private static JsonElement Required(JsonElement root, string name, string path) =>
        root.TryGetProperty(name, out var value) ? value : throw new InvalidDataException($"'{path}' has no '{name}'.");
}
