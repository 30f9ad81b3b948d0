using System.Security.Cryptography;
using System.Text;
using OrtDiffusion.Onnx.Proto;

namespace OrtDiffusion.Onnx.Autodiff;

/// <summary>
/// VJP models cached beside their forward model (e.g. <c>unet/model.vjp.out_sample.encoder_hidden_states.onnx</c>),
/// so they refer to the same external weight file by the same relative location and never copy weights.
/// A cached file carries its key — the forward file's SHA-256, the output, the inputs and the builder
/// version — and is rebuilt when the key no longer matches.
/// </summary>
public static class VjpCache
{
    private const string KeyProperty = "ortdiffusion.vjp.key";

    /// <summary>The path a VJP of <paramref name="modelPath"/> for this output and these inputs is cached at.</summary>
    public static string PathFor(string modelPath, string output, IReadOnlyList<string> wrt)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        var stem = Path.GetFileNameWithoutExtension(modelPath);
        var readable = $"{Sanitise(output)}.{string.Join("+", wrt.Select(Sanitise))}";
        if (readable.Length > 120)
        {
            readable = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(readable)))[..16];
        }

        return Path.Combine(folder, $"{stem}.vjp.{readable}.onnx");
    }

    /// <summary>
    /// Returns the path of an up-to-date VJP model for <paramref name="modelPath"/>, building and saving it
    /// when it is missing or stale. <paramref name="built"/> is called with the statistics when a build happened.
    /// </summary>
    public static string GetOrBuild(string modelPath, string output, IReadOnlyList<string> wrt, Action<VjpStatistics>? built = null)
    {
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"ONNX model file '{modelPath}' does not exist.", modelPath);
        }

        var key = Key(modelPath, output, wrt);
        var path = PathFor(modelPath, output, wrt);
        if (File.Exists(path) && StoredKey(path) == key)
        {
            return path;
        }

        var model = OnnxModel.Load(modelPath);
        var result = VjpBuilder.Build(model, output, wrt);
        result.Model.Proto.MetadataProps.Add(new StringStringEntryProto { Key = KeyProperty, Value = key });
        result.Model.Save(path);
        built?.Invoke(result.Statistics);
        return path;
    }

    /// <summary>
    /// Returns up-to-date split VJP models (forward with residuals, backward) for <paramref name="modelPath"/>,
    /// building and saving both beside it when missing or stale.
    /// </summary>
    public static SplitVjpFiles GetOrBuildSplit(string modelPath, string output, IReadOnlyList<string> wrt, Action<VjpStatistics>? built = null)
    {
        if (!File.Exists(modelPath))
        {
            throw new FileNotFoundException($"ONNX model file '{modelPath}' does not exist.", modelPath);
        }

        var key = Key(modelPath, output, wrt) + "|split";
        var combined = PathFor(modelPath, output, wrt);
        var forwardPath = combined[..^".onnx".Length] + ".forward.onnx";
        var backwardPath = combined[..^".onnx".Length] + ".backward.onnx";
        if (!(File.Exists(forwardPath) && File.Exists(backwardPath) && StoredKey(forwardPath) == key && StoredKey(backwardPath) == key))
        {
            var split = SplitVjp.Build(OnnxModel.Load(modelPath), output, wrt);
            foreach (var part in new[] { split.Forward, split.Backward })
            {
                part.Proto.MetadataProps.Add(new StringStringEntryProto { Key = KeyProperty, Value = key });
            }

            split.Backward.Save(backwardPath);
            split.Forward.Save(forwardPath);
            built?.Invoke(split.Statistics);
        }

        var forward = OnnxModel.Load(forwardPath).Graph;
        var backward = OnnxModel.Load(backwardPath).Graph;
        var residuals = forward.Output.Skip(1).Select(o => o.Name).ToList();
        var residualSet = residuals.ToHashSet(StringComparer.Ordinal);
        var backwardInputs = backward.Input.Select(i => i.Name)
            .Where(n => !residualSet.Contains(n) && n != output + VjpBuilder.GradSuffix && backward.Initializer.All(t => t.Name != n)).ToList();
        return new SplitVjpFiles(forwardPath, backwardPath, residuals, backwardInputs);
    }

    /// <summary>The cache key: forward file hash, output, inputs and builder version.</summary>
    public static string Key(string modelPath, string output, IReadOnlyList<string> wrt)
    {
        using var stream = File.OpenRead(modelPath);
        var fileHash = Convert.ToHexStringLower(SHA256.HashData(stream));
        return $"{fileHash}|{output}|{string.Join(",", wrt)}|v{VjpBuilder.Version}";
    }

    private static string? StoredKey(string path)
    {
        try
        {
            return OnnxModel.Load(path).Proto.MetadataProps.FirstOrDefault(p => p.Key == KeyProperty)?.Value;
        }
        catch (InvalidDataException)
        {
            return null; // a damaged cache file is simply rebuilt
        }
    }

    private static string Sanitise(string name) =>
        new([.. name.Select(ch => char.IsAsciiLetterOrDigit(ch) || ch is '_' or '-' ? ch : '_')]);
}

/// <summary>Where a split VJP's two models live and what crosses between them.</summary>
/// <param name="ForwardPath">The forward model with residual outputs.</param>
/// <param name="BackwardPath">The backward model.</param>
/// <param name="Residuals">The forward model's outputs after the first, fed to the backward model by name.</param>
/// <param name="BackwardInputs">Original forward inputs the backward model also reads.</param>
public sealed record SplitVjpFiles(string ForwardPath, string BackwardPath, IReadOnlyList<string> Residuals, IReadOnlyList<string> BackwardInputs);
