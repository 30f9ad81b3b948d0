using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Autodiff;
using OrtDiffusion.Onnx.Building;

namespace OrtDiffusion.Tests.Autodiff;

public sealed class VjpCacheTests
{
    private static void Write(string path, float scale)
    {
        var g = new GraphBuilder("m", 17);
        var x = g.Input("x", ElementType.Float, "n", 4);
        var w = g.Initializer("w", Enumerable.Range(0, 16).Select(i => i * scale).ToArray(), 4, 4);
        g.Output(g.Tanh(g.MatMul(x, w)), "y", ElementType.Float, "n", 4);
        g.ToModel().SaveWithExternalData(path, "model.onnx_data", thresholdBytes: 16);
    }

    [Fact]
    public void Built_beside_the_model_sharing_its_weights_and_reused_until_the_model_changes()
    {
        using var dir = new TempFolder();
        var model = dir.File("model.onnx");
        Write(model, 0.1f);
        var builds = 0;
        var path = VjpCache.GetOrBuild(model, "y", ["x"], _ => builds++);
        Assert.Equal(dir.File("model.vjp.y.x.onnx"), path);
        Assert.Equal(1, builds);
        Assert.Equal(["model.onnx_data"], OnnxModel.Load(path).ExternalDataFiles());
        Assert.Single(Directory.GetFiles(dir.Path, "*onnx_data*"));

        var stamp = File.GetLastWriteTimeUtc(path);
        Assert.Equal(path, VjpCache.GetOrBuild(model, "y", ["x"], _ => builds++));
        Assert.Equal(1, builds);
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));

        // A changed graph (here: different inline weights below the threshold are not involved; change the graph) rebuilds.
        var g = new GraphBuilder("m", 17);
        var x = g.Input("x", ElementType.Float, "n", 4);
        g.Output(g.Sin(x), "y", ElementType.Float, "n", 4);
        g.ToModel().Save(model);
        VjpCache.GetOrBuild(model, "y", ["x"], _ => builds++);
        Assert.Equal(2, builds);
        Assert.Contains(OnnxModel.Load(path).Graph.Node, n => n.OpType == "Cos");

        // A damaged cache file is rebuilt rather than trusted.
        File.WriteAllBytes(path, [1, 2, 3]);
        VjpCache.GetOrBuild(model, "y", ["x"], _ => builds++);
        Assert.Equal(3, builds);
    }

    [Fact]
    public void The_cached_vjp_runs_against_the_shared_weight_file()
    {
        using var dir = new TempFolder();
        var model = dir.File("model.onnx");
        Write(model, 0.05f);
        var path = VjpCache.GetOrBuild(model, "y", ["x"]);
        using var runner = new OrtRunner(path);
        var outputs = runner.Run(new Dictionary<string, object>
        {
            ["x"] = new TestTensor([1, 0, 0, 0], [1, 4]),
            ["y_grad"] = new TestTensor([1, 1, 1, 1], [1, 4]),
        });

        // y = tanh(x·W) with x = e0: z_j = W[0,j] = 0.05 j; dx_k = Σ_j (1 − tanh² z_j) W[k,j].
        for (var k = 0; k < 4; k++)
        {
            var expected = Enumerable.Range(0, 4).Sum(j => (1 - Math.Pow(Math.Tanh(0.05 * j), 2)) * 0.05 * ((4 * k) + j));
            Assert.Equal(expected, outputs["x_grad"].Data[k], 5);
        }
    }

    [Fact]
    public void Building_never_reads_the_external_weights()
    {
        // The weights file is removed before building: graph work (inference, differentiation, saving) must not need it,
        // which is what keeps a 3.4 GB UNet's VJP in the memory of its graph.
        using var dir = new TempFolder();
        var model = dir.File("model.onnx");
        Write(model, 0.1f);
        var weights = dir.File("model.onnx_data");
        var size = new FileInfo(weights).Length;
        File.Move(weights, dir.File("elsewhere.bin"));
        var built = OrtDiffusion.Onnx.Autodiff.VjpBuilder.Build(OnnxModel.Load(model), "y", ["x"]);
        var split = SplitVjp.Build(OnnxModel.Load(model), "y", ["x"]);
        Assert.True(built.Statistics.BackwardNodes > 0);
        Assert.Equal(["model.onnx_data"], split.Backward.ExternalDataFiles());
        File.Move(dir.File("elsewhere.bin"), weights);
        Assert.Equal(size, new FileInfo(weights).Length);
    }
}
