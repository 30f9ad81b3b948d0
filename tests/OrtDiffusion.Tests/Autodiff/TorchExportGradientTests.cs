using OrtDiffusion.IO;
using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Autodiff;

namespace OrtDiffusion.Tests.Autodiff;

/// <summary>
/// Our VJP of graphs written by the real exporter (torch.onnx.export, opsets 14 and 17) against torch's own
/// autograd. Fixtures and reference gradients come from Fixtures/autodiff/make_torch_fixtures.py.
/// Tolerance: 1e-4 relative to the largest reference entry (float32 arithmetic in both).
/// </summary>
public sealed class TorchExportGradientTests
{
    public static TheoryData<string, int> Cases()
    {
        var data = new TheoryData<string, int>();
        foreach (var name in new[] { "groupnorm", "attention", "layernorm_gelu", "interpolate", "mini_unet" })
        {
            data.Add(name, 14);
            data.Add(name, 17);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Vjp_matches_torch_autograd(string name, int opset)
    {
        var model = OnnxModel.Load(Fixtures.Path("autodiff", $"{name}_opset{opset}.onnx"));
        var inputNames = model.Graph.Input.Select(i => i.Name).Where(n => model.Graph.Initializer.All(t => t.Name != n)).ToArray();
        var vjp = VjpBuilder.Build(model, "y", inputNames);

        using var folder = new TempFolder("torch");
        using var runner = OrtRunner.FromModel(vjp.Model, folder, "vjp.onnx");
        var inputs = new Dictionary<string, object>();
        foreach (var input in inputNames)
        {
            inputs[input] = Load($"{name}.{input}.npy");
        }

        inputs["y_grad"] = Load($"{name}.cotangent.npy");
        var outputs = runner.Run(inputs);

        AssertClose(Load($"{name}.output.npy"), outputs["y"], $"{name} forward");
        foreach (var input in inputNames)
        {
            AssertClose(Load($"{name}.{input}.grad.npy"), outputs[input + "_grad"], $"{name} d/d{input} at opset {opset}");
        }
    }

    private static TestTensor Load(string file)
    {
        var array = NpyFile.Read(Fixtures.Path("autodiff", file));
        return new TestTensor(array.ToFloat32(), array.Shape);
    }

    private static void AssertClose(TestTensor expected, TestTensor actual, string what)
    {
        Assert.Equal(expected.Shape, actual.Shape);
        var scale = expected.Data.Max(v => Math.Abs(v));
        var worst = expected.Data.Zip(actual.Data, (e, a) => Math.Abs(e - a)).Max();
        Assert.True(worst <= 1e-4 * Math.Max(scale, 1e-3), $"{what}: max abs error {worst:E2} vs scale {scale:E2}");
    }
}
