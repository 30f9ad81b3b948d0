using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Autodiff;
using OrtDiffusion.Onnx.Building;

namespace OrtDiffusion.Tests.Autodiff;

public sealed class VjpBuilderTests
{
    [Fact]
    public void Unsupported_operators_on_the_path_are_all_listed_with_node_and_opset()
    {
        var g = new GraphBuilder("m", 17);
        var x = g.Input("x", ElementType.Float, 2, 3);
        var a = g.Op("Atan", [x]);
        var b = g.Op("HardSwish", [a]);
        var offPath = g.Op("Atan", [g.Input("other", ElementType.Float, 2, 3)]);
        g.Output(g.Add(b, offPath), "y", ElementType.Float, 2, 3);

        var e = Assert.Throws<UnsupportedOperatorsException>(() => VjpBuilder.Build(g.ToModel(), "y", ["x"]));
        Assert.Equal(2, e.Nodes.Count);
        Assert.Contains(e.Nodes, n => n.OpType == "Atan" && n.NodeName == "/Atan" && n.Opset == 17);
        Assert.Contains(e.Nodes, n => n.OpType == "HardSwish" && n.NodeName == "/HardSwish");
        Assert.Contains("Atan", e.Message);
        Assert.Contains("HardSwish", e.Message);

        // Differentiating only w.r.t. the other input meets just the second Atan.
        var other = Assert.Throws<UnsupportedOperatorsException>(() => VjpBuilder.Build(g.ToModel(), "y", ["other"]));
        Assert.Equal("/Atan_1", Assert.Single(other.Nodes).NodeName);
    }

    [Fact]
    public void Operators_off_the_differentiated_path_need_no_rule()
    {
        var g = new GraphBuilder("m", 17);
        var x = g.Input("x", ElementType.Float, 2, 3);
        var k = g.Op("Atan", [g.Input("k", ElementType.Float, 2, 3)]);
        g.Output(g.Mul(g.Sin(x), k), "y", ElementType.Float, 2, 3);
        var rng = new Random(3);
        var inputs = new Dictionary<string, object> { ["x"] = TestTensor.Random(rng, 1f, 2, 3), ["k"] = TestTensor.Random(rng, 1f, 2, 3) };
        GradientChecker.AssertMatches(g.ToModel(), "y", inputs, ["x"]);
    }

    [Fact]
    public void Bad_requests_name_what_is_wrong()
    {
        var g = new GraphBuilder("m", 17);
        var x = g.Input("x", ElementType.Float, 2);
        var ids = g.Input("ids", ElementType.Int64, 2);
        g.Output(g.Mul(x, g.Cast(ids, ElementType.Float)), "y", ElementType.Float, 2);
        g.Output(g.Shape(x), "s", ElementType.Int64, 1);
        var model = g.ToModel();

        Assert.Contains("no output 'z'", Assert.Throws<ArgumentException>(() => VjpBuilder.Build(model, "z", ["x"])).Message);
        Assert.Contains("no input 'q'", Assert.Throws<ArgumentException>(() => VjpBuilder.Build(model, "y", ["q"])).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => VjpBuilder.Build(model, "y", ["ids"])).Message);
        Assert.Contains("int64", Assert.Throws<ArgumentException>(() => VjpBuilder.Build(model, "s", ["x"])).Message);
        Assert.Throws<ArgumentException>(() => VjpBuilder.Build(model, "y", []));
    }

    [Fact]
    public void An_input_without_a_path_to_the_output_gets_exact_zeros()
    {
        var g = new GraphBuilder("m", 17);
        var x = g.Input("x", ElementType.Float, 2, 3);
        var unused = g.Input("unused", ElementType.Float, 4);
        g.Output(g.Exp(x), "y", ElementType.Float, 2, 3);
        g.Output(g.Neg(unused), "other", ElementType.Float, 4);
        var vjp = VjpBuilder.Build(g.ToModel(), "y", ["x", "unused"]).Model;
        Assert.Equal(["y", "x_grad", "unused_grad"], vjp.Graph.Output.Select(o => o.Name));

        using var folder = new TempFolder();
        using var runner = OrtRunner.FromModel(vjp, folder, "vjp.onnx");
        var rng = new Random(1);
        var outputs = runner.Run(new Dictionary<string, object>
        {
            ["x"] = TestTensor.Random(rng, 1f, 2, 3),
            ["unused"] = TestTensor.Random(rng, 1f, 4),
            ["y_grad"] = TestTensor.Random(rng, 1f, 2, 3),
        });
        Assert.Equal([4L], outputs["unused_grad"].Shape);
        Assert.All(outputs["unused_grad"].Data, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Fan_out_gradients_are_summed_once_per_tensor()
    {
        // x feeds four consumers; its gradient must be one Sum of four contributions, not a chain.
        var g = new GraphBuilder("m", 17);
        var x = g.Input("x", ElementType.Float, 3);
        var y = g.Add(g.Add(g.Sin(x), g.Cos(x)), g.Add(g.Exp(x), g.Mul(x, x)));
        g.Output(y, "y", ElementType.Float, 3);
        var result = VjpBuilder.Build(g.ToModel(), "y", ["x"]);
        var sums = result.Model.Graph.Node.Where(n => n.OpType == "Sum").ToList();
        var xSum = Assert.Single(sums, n => n.Input.Count == 5); // sin, cos, exp and twice from x·x
        Assert.NotNull(xSum);
        var rng = new Random(2);
        GradientChecker.AssertMatches(g.ToModel(), "y", new Dictionary<string, object> { ["x"] = TestTensor.Random(rng, 1f, 3) }, ["x"]);
    }

    [Fact]
    public void Forward_nodes_the_output_does_not_need_are_pruned()
    {
        var g = new GraphBuilder("m", 17);
        var x = g.Input("x", ElementType.Float, 2);
        g.Output(g.Exp(x), "y", ElementType.Float, 2);
        g.Output(g.Log(g.Sin(x)), "z", ElementType.Float, 2);
        var vjp = VjpBuilder.Build(g.ToModel(), "y", ["x"]);
        Assert.DoesNotContain(vjp.Model.Graph.Node, n => n.OpType is "Log" or "Sin");
        Assert.Equal(2, vjp.Statistics.ForwardNodes); // Exp and the Identity naming the output
    }

    [Fact]
    public void Broadcasts_resolved_from_symbols_need_no_runtime_shape_work()
    {
        // The GroupNorm export pattern and a time-embedding add: every broadcast is provable from the symbols.
        var g = new GraphBuilder("m", 17);
        var x = g.Input("x", ElementType.Float, "batch", 8, "height", "width");
        var t = g.Input("t", ElementType.Float, "batch", 8);
        var grouped = g.Reshape(x, 0, 4, -1);
        var normed = g.InstanceNormalization(grouped, g.Initializer("s", Enumerable.Repeat(1f, 4).ToArray(), 4), g.Initializer("b", new float[4], 4), 1e-5f);
        var back = g.Reshape(normed, g.Shape(x));
        var scaled = g.Add(g.Mul(back, g.Initializer("gamma", Enumerable.Range(0, 8).Select(i => 1f + (0.1f * i)).ToArray(), 8, 1, 1)), g.Initializer("beta", new float[8], 8, 1, 1));
        var withTime = g.Add(scaled, g.Unsqueeze(t, 2, 3));
        g.Output(withTime, "y", ElementType.Float, "batch", 8, "height", "width");
        var rng = new Random(4);
        var inputs = new Dictionary<string, object> { ["x"] = TestTensor.Random(rng, 1f, 2, 8, 3, 5), ["t"] = TestTensor.Random(rng, 1f, 2, 8) };
        var results = GradientChecker.AssertMatches(g.ToModel(), "y", inputs, ["x", "t"]);
        Assert.Equal(0, results[0].Statistics.DynamicReductions);
        Assert.True(results[0].Statistics.StaticReductions >= 1);
    }

    [Fact]
    public void Float16_graphs_differentiate_in_float16()
    {
        var g = new GraphBuilder("m", 17);
        var x = g.Input("x", ElementType.Float16, 2, 3);
        var w = g.Initializer("w", Enumerable.Range(0, 12).Select(i => (Half)(0.1f * (i - 6))).ToArray(), 3, 4);
        var y = g.Sigmoid(g.MatMul(g.Mul(x, x), w));
        g.Output(y, "y", ElementType.Float16, 2, 4);
        var vjp = VjpBuilder.Build(g.ToModel(), "y", ["x"]).Model;
        Assert.Equal((int)ElementType.Float16, vjp.Graph.Output.Single(o => o.Name == "x_grad").Type.TensorType.ElemType);

        using var folder = new TempFolder();
        vjp.Save(folder.File("vjp.onnx"));
        using var session = new OrtDiffusion.Runtime.InferenceSession(folder.File("vjp.onnx"));
        var xs = new Half[] { (Half)0.5f, (Half)(-0.25f), (Half)1f, (Half)0.125f, (Half)(-1f), (Half)0.75f };
        var cot = Enumerable.Repeat((Half)1f, 8).ToArray();
        using var xv = OrtDiffusion.Runtime.OrtValue.CreateTensor(xs, [2, 3]);
        using var cv = OrtDiffusion.Runtime.OrtValue.CreateTensor(cot, [2, 4]);
        using var outputs = session.Run(new Dictionary<string, OrtDiffusion.Runtime.OrtValue> { ["x"] = xv, ["y_grad"] = cv });
        var grad = outputs["x_grad"].ToArray<Half>();

        // Reference in double: d/dx Σ sigmoid((x∘x)·W) = 2x ∘ (σ'(z)·Wᵀ).
        var wd = Enumerable.Range(0, 12).Select(i => (double)(float)(Half)(0.1f * (i - 6))).ToArray();
        for (var r = 0; r < 2; r++)
        {
            for (var k = 0; k < 3; k++)
            {
                double sum = 0;
                for (var j = 0; j < 4; j++)
                {
                    double z = 0;
                    for (var m = 0; m < 3; m++)
                    {
                        var v = (double)(float)xs[(r * 3) + m];
                        z += v * v * wd[(m * 4) + j];
                    }

                    var s = 1 / (1 + Math.Exp(-z));
                    sum += s * (1 - s) * wd[(k * 4) + j];
                }

                var expected = 2 * (double)(float)xs[(r * 3) + k] * sum;
                Assert.Equal(expected, (double)(float)grad[(r * 3) + k], 2e-3);
            }
        }
    }
}
