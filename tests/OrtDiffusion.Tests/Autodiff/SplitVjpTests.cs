using OrtDiffusion.IO;
using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Autodiff;

namespace OrtDiffusion.Tests.Autodiff;

public sealed class SplitVjpTests
{
    [Theory]
    [InlineData("mini_unet", 14)]
    [InlineData("attention", 17)]
    [InlineData("interpolate", 17)]
    public void Forward_then_backward_equals_the_combined_vjp_and_torch(string name, int opset)
    {
        var model = OnnxModel.Load(Fixtures.Path("autodiff", $"{name}_opset{opset}.onnx"));
        var inputNames = model.Graph.Input.Select(i => i.Name).ToArray();
        var split = SplitVjp.Build(model, "y", inputNames);
        Assert.NotEmpty(split.Residuals);

        using var folder = new TempFolder("split");
        using var forward = OrtRunner.FromModel(split.Forward, folder, "forward.onnx");
        using var backward = OrtRunner.FromModel(split.Backward, folder, "backward.onnx");
        var inputs = inputNames.ToDictionary(n => n, n => (object)Load($"{name}.{n}.npy"));
        var forwardOutputs = forward.Run(inputs);
        Assert.Equal(["y", .. split.Residuals], forwardOutputs.Keys);

        var backwardInputs = new Dictionary<string, object>();
        foreach (var r in split.Residuals)
        {
            backwardInputs[r] = forwardOutputs[r];
        }

        foreach (var i in split.BackwardInputs)
        {
            backwardInputs[i] = inputs[i];
        }

        backwardInputs["y_grad"] = Load($"{name}.cotangent.npy");
        var gradients = backward.Run(backwardInputs);
        foreach (var input in inputNames)
        {
            var expected = Load($"{name}.{input}.grad.npy");
            var actual = gradients[input + "_grad"];
            Assert.Equal(expected.Shape, actual.Shape);
            var scale = expected.Data.Max(v => Math.Abs(v));
            Assert.True(expected.Data.Zip(actual.Data, (e, a) => Math.Abs(e - a)).Max() <= 1e-4 * scale, $"d/d{input}");
        }
    }

    private static TestTensor Load(string file)
    {
        var array = NpyFile.Read(Fixtures.Path("autodiff", file));
        return new TestTensor(array.ToFloat32(), array.Shape);
    }
}
