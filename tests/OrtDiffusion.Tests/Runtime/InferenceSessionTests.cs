using OrtDiffusion.Runtime;

namespace OrtDiffusion.Tests.Runtime;

/// <summary>Running the fixture models and comparing with numpy (expected.json) and with the same math in C#.</summary>
public class InferenceSessionTests
{
    private static Dictionary<string, OrtValue> Inputs(params (string Name, OrtValue Value)[] values) =>
        values.ToDictionary(v => v.Name, v => v.Value);

    [Fact]
    public void Mlp_matches_numpy_and_the_same_math_in_csharp()
    {
        var x = RuntimeFixtures.Floats("mlp", "x");
        var w = RuntimeFixtures.Floats("mlp", "w");
        var b = RuntimeFixtures.Floats("mlp", "b");
        var expected = RuntimeFixtures.Floats("mlp", "y");

        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"));
        using var input = OrtValue.CreateTensor(x, [2, 4]);
        using var outputs = session.Run(Inputs(("x", input)));

        var y = outputs["y"];
        Assert.Equal(TensorElementType.Float, y.ElementType);
        Assert.Equal([2L, 3], y.Shape.ToArray());
        var actual = y.GetTensorReadOnlySpan<float>().ToArray();
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 5);

        // Relu(x·W + b), row-major, written out here independently of ORT and numpy.
        for (var row = 0; row < 2; row++)
        {
            for (var col = 0; col < 3; col++)
            {
                var sum = b[col];
                for (var k = 0; k < 4; k++)
                    sum += x[row * 4 + k] * w[k * 3 + col];
                Assert.Equal(Math.Max(sum, 0f), actual[row * 3 + col], 5);
            }
        }
    }

    [Fact]
    public void Symbolic_batch_accepts_any_batch_size()
    {
        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"));
        foreach (var batch in new[] { 1, 5 })
        {
            using var input = OrtValue.CreateTensor(new float[batch * 4], [batch, 4]);
            using var outputs = session.Run(Inputs(("x", input)));
            Assert.Equal([batch, 3L], outputs[0].Shape.ToArray());
        }
    }

    [Fact]
    public void External_data_next_to_the_model_is_loaded()
    {
        // The weights are only in mlp_external.onnx.data beside the model, not in the working directory:
        // ORT must resolve the file relative to the model path.
        Assert.True(File.Exists(RuntimeFixtures.Model("mlp_external.onnx.data")));
        Assert.False(File.Exists(Path.Combine(Environment.CurrentDirectory, "mlp_external.onnx.data")));
        var x = RuntimeFixtures.Floats("mlp_external", "x");
        var expected = RuntimeFixtures.Floats("mlp_external", "y");

        using var session = new InferenceSession(RuntimeFixtures.Model("mlp_external.onnx"));
        using var input = OrtValue.CreateTensor(x, [3, 4]);
        using var outputs = session.Run(Inputs(("x", input)));
        var actual = outputs[0].ToArray<float>();
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 5);
    }

    [Fact]
    public void Float16_model_computes_in_half_precision()
    {
        var x = RuntimeFixtures.HalfBits("float16", "x_bits");
        var expected = RuntimeFixtures.HalfBits("float16", "y_bits");
        var expected32 = RuntimeFixtures.Floats("float16", "y32");

        using var session = new InferenceSession(RuntimeFixtures.Model("float16.onnx"));
        Assert.Equal(TensorElementType.Float16, session.Inputs[0].ElementType);
        using var input = OrtValue.CreateTensor(x, [2, 3]);
        using var outputs = session.Run(Inputs(("x", input)));

        Assert.Equal(TensorElementType.Float16, outputs["y"].ElementType);
        Assert.Equal(expected, outputs["y"].ToArray<Half>()); // bit-exact: same IEEE half arithmetic
        Assert.Equal(expected32, outputs["y32"].ToArray<float>());
    }

    [Fact]
    public void Integer_bool_double_and_byte_tensors_round_trip()
    {
        var a = RuntimeFixtures.Ints("ints", "a");
        var b = RuntimeFixtures.Longs("ints", "b");
        var mask = RuntimeFixtures.Bools("ints", "mask");
        var d = RuntimeFixtures.Doubles("ints", "d");
        var u = RuntimeFixtures.Ints("ints", "u").Select(v => (byte)v).ToArray();
        var s = RuntimeFixtures.Ints("ints", "s").Select(v => (sbyte)v).ToArray();
        long[] shape = [a.Length];

        using var session = new InferenceSession(RuntimeFixtures.Model("ints.onnx"));
        using var va = OrtValue.CreateTensor(a, shape);
        using var vb = OrtValue.CreateTensor(b, shape);
        using var vm = OrtValue.CreateTensor(mask, shape);
        using var vd = OrtValue.CreateTensor(d, shape);
        using var vu = OrtValue.CreateTensor(u, shape);
        using var vs = OrtValue.CreateTensor(s, shape);
        using var outputs = session.Run(Inputs(("a", va), ("b", vb), ("mask", vm), ("d", vd), ("u", vu), ("s", vs)));

        Assert.Equal(RuntimeFixtures.Bools("ints", "eq"), outputs["eq"].ToArray<bool>());
        Assert.Equal(RuntimeFixtures.Longs("ints", "sel"), outputs["sel"].ToArray<long>());
        Assert.Equal(RuntimeFixtures.Doubles("ints", "d2"), outputs["d2"].ToArray<double>());
        Assert.Equal(RuntimeFixtures.Ints("ints", "us"), outputs["us"].ToArray<int>());
    }

    [Fact]
    public void Two_outputs_come_back_in_the_requested_order()
    {
        var x = RuntimeFixtures.Floats("two_outputs", "x");
        using var session = new InferenceSession(RuntimeFixtures.Model("two_outputs.onnx"));
        using var input = OrtValue.CreateTensor(x, [2, 2]);

        using (var all = session.Run(Inputs(("x", input))))
        {
            Assert.Equal(["sum", "square"], all.Names);
            Assert.Equal(RuntimeFixtures.Floats("two_outputs", "sum"), all[0].ToArray<float>());
            Assert.Equal(RuntimeFixtures.Floats("two_outputs", "square"), all[1].ToArray<float>());
        }
        using (var reversed = session.Run(Inputs(("x", input)), ["square", "sum"]))
        {
            Assert.Equal(RuntimeFixtures.Floats("two_outputs", "square"), reversed[0].ToArray<float>());
            Assert.Equal(RuntimeFixtures.Floats("two_outputs", "sum"), reversed["sum"].ToArray<float>());
            Assert.Throws<KeyNotFoundException>(() => reversed["nope"]);
        }
        using (var one = session.Run(Inputs(("x", input)), ["square"]))
            Assert.Single(one);
    }

    [Fact]
    public void Metadata_reports_names_types_shapes_and_symbolic_dims()
    {
        using (var mlp = new InferenceSession(RuntimeFixtures.Model("mlp.onnx")))
        {
            var x = Assert.Single(mlp.Inputs);
            Assert.Equal("x", x.Name);
            Assert.True(x.IsTensor);
            Assert.Equal(TensorElementType.Float, x.ElementType);
            Assert.Equal([-1L, 4], x.Shape);
            Assert.Equal(["batch", null], x.SymbolicDims);
            Assert.Equal("[batch, 4]", x.ShapeText);
            var y = Assert.Single(mlp.Outputs);
            Assert.Equal("y", y.Name);
            Assert.Equal(["batch", null], y.SymbolicDims);
        }

        using var ints = new InferenceSession(RuntimeFixtures.Model("ints.onnx"));
        Assert.Equal(["a", "b", "mask", "d", "u", "s"], ints.Inputs.Select(i => i.Name));
        Assert.Equal(
            [TensorElementType.Int32, TensorElementType.Int64, TensorElementType.Bool, TensorElementType.Double, TensorElementType.UInt8, TensorElementType.Int8],
            ints.Inputs.Select(i => i.ElementType));
        Assert.Equal([6, 7, 9, 11, 2, 3], ints.Inputs.Select(i => (int)i.ElementType)); // ONNX numbering
        Assert.All(ints.Inputs, i => Assert.Equal(["n"], i.SymbolicDims));
        Assert.Equal(["eq", "sel", "d2", "us"], ints.Outputs.Select(o => o.Name));
        Assert.Equal(TensorElementType.Bool, ints.GetOutput("eq").ElementType);

        using var half = new InferenceSession(RuntimeFixtures.Model("float16.onnx"));
        Assert.Equal([2L, 3], half.Inputs[0].Shape);
        Assert.Equal([null, null], half.Inputs[0].SymbolicDims);
    }

    [Fact]
    public void Wrong_input_name_lists_the_valid_names()
    {
        using var session = new InferenceSession(RuntimeFixtures.Model("ints.onnx"));
        using var value = OrtValue.CreateTensor(new int[3], [3]);
        var ex = Assert.Throws<ArgumentException>(() => session.Run(Inputs(("alpha", value))));
        Assert.Contains("no input named 'alpha'", ex.Message);
        Assert.Contains(session.ModelPath, ex.Message);
        foreach (var name in new[] { "a: Int32[n]", "b: Int64[n]", "mask: Bool[n]", "d: Double[n]", "u: UInt8[n]", "s: Int8[n]" })
            Assert.Contains(name, ex.Message);
    }

    [Fact]
    public void Wrong_rank_names_model_input_and_both_shapes()
    {
        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"));
        using var value = OrtValue.CreateTensor(new float[4], [4]);
        var ex = Assert.Throws<ArgumentException>(() => session.Run(Inputs(("x", value))));
        Assert.Contains(session.ModelPath, ex.Message);
        Assert.Contains("input 'x'", ex.Message);
        Assert.Contains("expected rank 2 with shape [batch, 4]", ex.Message);
        Assert.Contains("got shape [4] (rank 1)", ex.Message);
    }

    [Fact]
    public void Wrong_fixed_dimension_names_the_dimension()
    {
        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"));
        using var value = OrtValue.CreateTensor(new float[10], [2, 5]);
        var ex = Assert.Throws<ArgumentException>(() => session.Run(Inputs(("x", value))));
        Assert.Contains("dimension 1 must be 4", ex.Message);
        Assert.Contains("got shape [2, 5]", ex.Message);
    }

    [Fact]
    public void Wrong_element_type_is_rejected_before_ort()
    {
        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"));
        using var value = OrtValue.CreateTensor(new double[8], [2, 4]);
        var ex = Assert.Throws<ArgumentException>(() => session.Run(Inputs(("x", value))));
        Assert.Contains("expected element type Float but the value is Double", ex.Message);
    }

    [Fact]
    public void Missing_and_duplicate_inputs_are_named()
    {
        using var session = new InferenceSession(RuntimeFixtures.Model("matmul_dynamic.onnx"));
        using var a = OrtValue.CreateTensor(new float[6], [2, 3]);
        var missing = Assert.Throws<ArgumentException>(() => session.Run(Inputs(("a", a))));
        Assert.Contains("missing required input(s): b: Float[k2, n]", missing.Message);

        var twice = Assert.Throws<ArgumentException>(() =>
            session.Run(["a", "a"], [a, a], ["c"], new OrtValue?[1]));
        Assert.Contains("input 'a' is given twice", twice.Message);
    }

    [Fact]
    public void Unknown_output_name_lists_the_outputs()
    {
        using var session = new InferenceSession(RuntimeFixtures.Model("two_outputs.onnx"));
        using var x = OrtValue.CreateTensor(new float[4], [2, 2]);
        var ex = Assert.Throws<ArgumentException>(() => session.Run(Inputs(("x", x)), ["product"]));
        Assert.Contains("no output named 'product'", ex.Message);
        Assert.Contains("sum: Float[2, 2]", ex.Message);
        Assert.Contains("square: Float[2, 2]", ex.Message);
    }

    [Fact]
    public void Ort_shape_errors_surface_as_OrtException_with_the_model()
    {
        // Inner dimensions 3 and 5 are separate symbols, so only MatMul itself can object.
        using var session = new InferenceSession(RuntimeFixtures.Model("matmul_dynamic.onnx"));
        using var a = OrtValue.CreateTensor(new float[6], [2, 3]);
        using var b = OrtValue.CreateTensor(new float[10], [5, 2]);
        var ex = Assert.Throws<OrtException>(() => session.Run(Inputs(("a", a), ("b", b))));
        Assert.Contains("MatMul", ex.OrtMessage);
        Assert.Contains(session.ModelPath, ex.Message);
        Assert.Equal("Run", ex.Operation);
    }

    [Fact]
    public void Missing_model_file_is_FileNotFoundException_with_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), "ortdiffusion-" + Guid.NewGuid().ToString("N"), "model.onnx");
        var ex = Assert.Throws<FileNotFoundException>(() => new InferenceSession(path));
        Assert.Equal(path, ex.FileName);
        Assert.Contains(path, ex.Message);
    }

    [Fact]
    public void Corrupt_model_file_is_OrtException_with_orts_message_and_the_path()
    {
        var path = Path.Combine(Path.GetTempPath(), "ortdiffusion-corrupt-" + Guid.NewGuid().ToString("N") + ".onnx");
        var bytes = new byte[4096];
        new Random(1234).NextBytes(bytes);
        File.WriteAllBytes(path, bytes);
        try
        {
            var ex = Assert.Throws<OrtException>(() => new InferenceSession(path));
            Assert.Equal("CreateSession", ex.Operation);
            Assert.Contains(path, ex.Message);
            Assert.False(string.IsNullOrWhiteSpace(ex.OrtMessage));
            Assert.Contains(ex.OrtMessage, ex.Message);
            Assert.Contains("Protobuf parsing failed", ex.OrtMessage); // ORT's own words for an unparsable model
            Assert.Equal(OrtErrorCode.InvalidProtobuf, ex.Code);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Session_options_settings_still_give_correct_results()
    {
        var x = RuntimeFixtures.Floats("mlp", "x");
        var expected = RuntimeFixtures.Floats("mlp", "y");
        using var options = new SessionOptions
        {
            IntraOpThreads = 1,
            InterOpThreads = 2,
            ExecutionMode = ExecutionMode.Parallel,
            GraphOptimizationLevel = GraphOptimizationLevel.DisableAll,
            EnableMemoryPattern = false,
            EnableCpuMemoryArena = false,
        };
        options.AddConfigEntry("session.disable_prepacking", "1");
        Assert.Equal(1, options.IntraOpThreads);
        Assert.Equal(GraphOptimizationLevel.DisableAll, options.GraphOptimizationLevel);
        using var session = new InferenceSession(RuntimeFixtures.Model("mlp.onnx"), options);
        using var input = OrtValue.CreateTensor(x, [2, 4]);
        using var outputs = session.Run(Inputs(("x", input)));
        var actual = outputs[0].ToArray<float>();
        for (var i = 0; i < expected.Length; i++)
            Assert.Equal(expected[i], actual[i], 5);
    }

    [Fact]
    public void Session_options_reject_bad_values()
    {
        using var options = new SessionOptions();
        Assert.Throws<ArgumentOutOfRangeException>(() => options.IntraOpThreads = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => options.GraphOptimizationLevel = (GraphOptimizationLevel)5);
        Assert.Equal(0, options.IntraOpThreads);
    }
}
