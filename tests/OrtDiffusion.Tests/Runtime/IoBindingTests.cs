using OrtDiffusion.Runtime;

namespace OrtDiffusion.Tests.Runtime;

/// <summary>IO binding: same results as a plain run, outputs into caller buffers or allocated on a device.</summary>
public class IoBindingTests
{
    [Fact]
    public void Binding_run_equals_plain_run()
    {
        var x = RuntimeFixtures.Floats("two_outputs", "x");
        using var session = new InferenceSession(RuntimeFixtures.Model("two_outputs.onnx"));
        using var input = OrtValue.CreateTensor(x, [2, 2]);
        using var plain = session.Run(new Dictionary<string, OrtValue> { ["x"] = input });

        using var binding = session.CreateIoBinding();
        binding.BindInput("x", input);
        binding.BindOutputToDevice("square", OrtMemoryInfo.Cpu);
        binding.BindOutputToDevice("sum", OrtMemoryInfo.Cpu);
        binding.Run();

        Assert.Equal(["square", "sum"], binding.GetOutputNames());
        using var bound = binding.GetOutputValues();
        Assert.Equal(["square", "sum"], bound.Names);
        Assert.All(bound, v => Assert.Equal("Cpu", v.Location)); // read back through GetTensorMemoryInfo (194)
        Assert.Equal(plain["square"].ToArray<float>(), bound["square"].ToArray<float>());
        Assert.Equal(plain["sum"].ToArray<float>(), bound["sum"].ToArray<float>());
        Assert.Equal(RuntimeFixtures.Floats("two_outputs", "square"), bound["square"].ToArray<float>());
    }

    [Fact]
    public void Bound_preallocated_output_is_written_in_place_on_every_run()
    {
        var x = RuntimeFixtures.Floats("mlp", "x");
        var expected = RuntimeFixtures.Floats("mlp", "y");
        var buffer = new float[6];
        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"));
        using var input = OrtValue.CreateTensor(x, [2, 4]);
        using var output = OrtValue.CreateTensor(buffer, [2, 3]);
        using var binding = session.CreateIoBinding();
        binding.BindInput("x", input);
        binding.BindOutput("y", output);

        binding.Run();
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], buffer[i], 5);

        // Change the input in place and run again: the bound buffers are reused.
        Array.Clear(x);
        binding.Run();
        var b = RuntimeFixtures.Floats("mlp", "b");
        for (var row = 0; row < 2; row++)
            for (var col = 0; col < 3; col++)
                Assert.Equal(Math.Max(b[col], 0f), buffer[row * 3 + col], 6); // Relu(0·W + b)

        using var values = binding.GetOutputValues();
        Assert.Equal(output.DataPointer, values[0].DataPointer); // the returned value shares our buffer
    }

    [Fact]
    public void Unknown_names_and_clearing()
    {
        using var session = new InferenceSession(RuntimeFixtures.Model("two_outputs.onnx"));
        using var input = OrtValue.CreateTensor(new float[4], [2, 2]);
        using var binding = session.CreateIoBinding();
        var ex = Assert.Throws<ArgumentException>(() => binding.BindInput("y", input));
        Assert.Contains("no input named 'y'", ex.Message);
        Assert.Throws<ArgumentException>(() => binding.BindOutputToDevice("x", OrtMemoryInfo.Cpu));
        using var wrongShape = OrtValue.CreateTensor(new float[3], [3]);
        Assert.Throws<ArgumentException>(() => binding.BindInput("x", wrongShape));

        binding.BindOutputToDevice("sum", OrtMemoryInfo.Cpu);
        Assert.Equal(["sum"], binding.GetOutputNames());
        binding.ClearBoundOutputs();
        Assert.Empty(binding.GetOutputNames());
        binding.ClearBoundInputs();

        // Running with nothing bound is ORT's error to report.
        binding.BindOutputToDevice("sum", OrtMemoryInfo.Cpu);
        var ort = Assert.Throws<OrtException>(() => binding.Run());
        Assert.Contains(session.ModelPath, ort.Message);
    }

    [Fact]
    public void Synchronize_is_a_no_op_on_the_cpu_and_dispose_twice_is_safe()
    {
        using var session = new InferenceSession(RuntimeFixtures.Model("two_outputs.onnx"));
        var binding = session.CreateIoBinding();
        binding.SynchronizeInputs();
        binding.SynchronizeOutputs();
        binding.Dispose();
        binding.Dispose();
        Assert.Throws<ObjectDisposedException>(() => binding.Run());
    }
}
