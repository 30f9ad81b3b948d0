using OrtDiffusion.IO;
using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;

namespace OrtDiffusion.Tests.Cli;

public sealed class ModelCommandsTests
{
    private static string WriteModel(TempFolder dir, bool external = false)
    {
        var g = new GraphBuilder("cli", 17);
        var x = g.Input("x", ElementType.Float, "batch", 3);
        var ids = g.Input("ids", ElementType.Int64, "batch");
        var w = g.Initializer("w", new float[] { 1, 2, 3, 4, 5, 6 }, 3, 2);
        var scaled = g.Mul(g.MatMul(x, w), g.Unsqueeze(g.Cast(ids, ElementType.Float), 1));
        g.Output(g.Op("Atan", [scaled]), "angle", ElementType.Float, "batch", 2);
        g.Output(g.Sin(scaled), "y", ElementType.Float, "batch", 2);
        var path = dir.File("model.onnx");
        if (external)
        {
            g.ToModel().SaveWithExternalData(path, "model.onnx_data", thresholdBytes: 16);
        }
        else
        {
            g.ToModel().Save(path);
        }

        return path;
    }

    [Fact]
    public void Info_lists_io_operators_weights_and_what_cannot_be_differentiated()
    {
        using var dir = new TempFolder();
        var path = WriteModel(dir, external: true);
        var (code, output) = CliRunner.Run("info", "--model", path);
        Assert.Equal(0, code);
        Assert.Contains("[batch,3]", output);
        Assert.Contains("int64", output);
        Assert.Contains("MatMul", output);
        Assert.Contains("model.onnx_data", output);
        Assert.Contains("not differentiable w.r.t. x: no gradient rule for Atan ×1", output);
    }

    [Fact]
    public void Run_reads_npy_inputs_and_writes_each_output()
    {
        using var dir = new TempFolder();
        var path = WriteModel(dir);
        NpyFile.Write(dir.File("x.npy"), new float[] { 1, 0, 0, 0, 1, 1 }, 2, 3);
        NpyFile.Write(dir.File("ids.npy"), NpyArray.Create(new long[] { 1, 2 }, 2));
        var (code, output) = CliRunner.Run("run", "--model", path, "--input", $"x={dir.File("x.npy")}", "--input", $"ids={dir.File("ids.npy")}", "--out", dir.File("out"));
        Assert.True(code == 0, output);
        var y = NpyFile.Read(Path.Combine(dir.File("out"), "y.npy"));
        Assert.Equal([2L, 2L], y.Shape);

        // Row 0: x·W = [1, 2] times id 1; row 1: [3+5, 4+6] times id 2.
        var expected = new[] { MathF.Sin(1), MathF.Sin(2), MathF.Sin(16), MathF.Sin(20) };
        Assert.Equal(expected, y.GetData<float>(), new FloatComparer(1e-6f));
        Assert.True(File.Exists(Path.Combine(dir.File("out"), "angle.npy")));
    }

    [Fact]
    public void Run_reports_a_missing_input_and_a_bad_spec()
    {
        using var dir = new TempFolder();
        var path = WriteModel(dir);
        NpyFile.Write(dir.File("x.npy"), new float[6], 2, 3);
        var (code, output) = CliRunner.Run("run", "--model", path, "--input", $"x={dir.File("x.npy")}", "--out", dir.File("out"));
        Assert.Equal(1, code);
        Assert.Contains("'ids'", output);
        Assert.False(Directory.Exists(dir.File("out")));

        var (code2, output2) = CliRunner.Run("run", "--model", path, "--input", "x", "--out", dir.File("out"));
        Assert.Equal(1, code2);
        Assert.Contains("NAME=FILE.npy", output2);
    }

    [Fact]
    public void Grad_writes_a_vjp_model_and_refuses_unsupported_paths()
    {
        using var dir = new TempFolder();
        var path = WriteModel(dir);
        var (code, output) = CliRunner.Run("grad", "--model", path, "--of", "y", "--wrt", "x", "--out", dir.File("model.vjp.onnx"));
        Assert.True(code == 0, output);
        var vjp = OnnxModel.Load(dir.File("model.vjp.onnx"));
        Assert.Contains(vjp.Graph.Input, i => i.Name == "y_grad");
        Assert.Equal(["y", "x_grad"], vjp.Graph.Output.Select(o => o.Name));

        var (code2, output2) = CliRunner.Run("grad", "--model", path, "--of", "angle", "--wrt", "x", "--out", dir.File("bad.onnx"));
        Assert.Equal(1, code2);
        Assert.Contains("Atan", output2);
        Assert.False(File.Exists(dir.File("bad.onnx")));
    }

    [Fact]
    public void Grad_of_a_model_with_external_weights_must_sit_beside_them()
    {
        using var dir = new TempFolder();
        var path = WriteModel(dir, external: true);
        Directory.CreateDirectory(dir.File("elsewhere"));
        var (code, output) = CliRunner.Run("grad", "--model", path, "--of", "y", "--wrt", "x", "--out", Path.Combine(dir.File("elsewhere"), "v.onnx"));
        Assert.Equal(1, code);
        Assert.Contains("model.onnx_data", output);
        Assert.Equal(0, CliRunner.Run("grad", "--model", path, "--of", "y", "--wrt", "x", "--out", dir.File("model.vjp.onnx")).ExitCode);
    }

    [Fact]
    public void A_missing_model_file_is_named()
    {
        var (code, output) = CliRunner.Run("info", "--model", "/nonexistent/model.onnx");
        Assert.Equal(1, code);
        Assert.Contains("/nonexistent/model.onnx", output);
    }

    private sealed class FloatComparer(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float a, float b) => Math.Abs(a - b) <= tolerance * Math.Max(1f, Math.Abs(a));

        public int GetHashCode(float obj) => 0;
    }
}
