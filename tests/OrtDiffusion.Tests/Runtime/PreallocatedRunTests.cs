using OrtDiffusion.Runtime;

namespace OrtDiffusion.Tests.Runtime;

/// <summary>The span-based Run: outputs written into the caller's buffers, and no managed allocation per call.</summary>
public class PreallocatedRunTests
{
    [Fact]
    public void Run_writes_into_the_callers_output_array()
    {
        var x = RuntimeFixtures.Floats("mlp", "x");
        var expected = RuntimeFixtures.Floats("mlp", "y");
        var buffer = new float[6];
        Array.Fill(buffer, float.NaN);

        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"));
        using var input = OrtValue.CreateTensor(x, [2, 4]);
        using var output = OrtValue.CreateTensor(buffer, [2, 3]);
        var outputs = new OrtValue?[] { output };
        session.Run(["x"], [input], ["y"], outputs);

        Assert.Same(output, outputs[0]);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], buffer[i], 5); // the very array we passed in now holds the result
    }

    [Fact]
    public void Null_output_slots_are_filled_with_new_values()
    {
        var x = RuntimeFixtures.Floats("two_outputs", "x");
        var square = new float[4];
        using var session = new InferenceSession(RuntimeFixtures.Model("two_outputs.onnx"));
        using var input = OrtValue.CreateTensor(x, [2, 2]);
        using var squareValue = OrtValue.CreateTensor(square, [2, 2]);
        var outputs = new OrtValue?[] { null, squareValue };
        session.Run(["x"], [input], ["sum", "square"], outputs);
        using var sum = outputs[0]!;
        Assert.Equal(RuntimeFixtures.Floats("two_outputs", "sum"), sum.ToArray<float>());
        Assert.Equal(RuntimeFixtures.Floats("two_outputs", "square"), square);
    }

    [Fact]
    public void Preallocated_output_of_the_wrong_shape_is_rejected()
    {
        using var session = new InferenceSession(RuntimeFixtures.Model("two_outputs.onnx"));
        using var input = OrtValue.CreateTensor(new float[4], [2, 2]);
        using var output = OrtValue.CreateTensor(new float[3], [3]);
        var ex = Assert.Throws<ArgumentException>(() => session.Run(["x"], [input], ["sum"], new OrtValue?[] { output }));
        Assert.Contains("output 'sum'", ex.Message);
    }

    [Fact]
    public void Hot_path_allocates_no_managed_memory_after_warm_up()
    {
        var x = RuntimeFixtures.Floats("mlp", "x");
        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"));
        using var input = OrtValue.CreateTensor(x, [2, 4]);
        using var output = OrtValue.CreateTensor(new float[6], [2, 3]);
        string[] inputNames = ["x"], outputNames = ["y"];
        OrtValue[] inputs = [input];
        OrtValue?[] outputs = [output];

        for (var i = 0; i < 5; i++)
            session.Run(inputNames, inputs, outputNames, outputs);

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 200; i++)
            session.Run(inputNames, inputs, outputNames, outputs);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
    }
}
