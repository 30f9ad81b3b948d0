using OrtDiffusion.TinyModels.Layout;

namespace OrtDiffusion.TinyModels.Fid;

/// <summary>Writes the tiny FID folder: <c>model.onnx</c> and a <c>fid.json</c> in the schema <c>export_fid_inception.py</c> writes.</summary>
internal static class FidLayout
{
    public const string ManifestFileName = "fid.json";

    public static void Write(string folder, TinyZooOptions options)
    {
        Directory.CreateDirectory(folder);
        TinyFidNetwork.Build(options).Save(Path.Combine(folder, "model.onnx"));
        JsonFile.WriteObject(Path.Combine(folder, ManifestFileName), w =>
        {
            w.WriteNumber("format_version", 1);
            w.WriteString("kind", "fid_tiny");
            w.WriteString("model", "model.onnx");
            w.WriteString("input", TinyFidNetwork.InputName);
            w.WriteNumbers("input_range", [0, 1]);
            w.WriteString("output", TinyFidNetwork.OutputName);
            w.WriteNumber("feature_dim", TinyFidNetwork.FeatureDimension);
            w.WriteString("preprocessing", $"in graph: bilinear resize to {TinyFidNetwork.InputSize}x{TinyFidNetwork.InputSize} (half_pixel), then 2x - 1");
            w.WriteStartObject("source");
            w.WriteString("package", "OrtDiffusion.TinyModels");
            w.WriteString("weights", $"seeded random (seed {options.Seed})");
            w.WriteNumber("opset", options.Opset);
            w.WriteEndObject();
        });
    }
}
