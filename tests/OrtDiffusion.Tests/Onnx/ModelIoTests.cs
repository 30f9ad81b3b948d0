using Google.Protobuf;
using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.Onnx.IO;

namespace OrtDiffusion.Tests.Onnx;

public sealed class ModelIoTests
{
    private static OnnxModel SmallModel(float[] weights)
    {
        var g = new GraphBuilder("small", opset: 17);
        var x = g.Input("x", ElementType.Float, "batch", 4);
        var w = g.Initializer("w", weights, 4, 3);
        var b = g.Initializer("b", new float[] { 1, 2, 3 }, 3);
        using (g.Scope("linear"))
        {
            g.Output(g.Add(g.MatMul(x, w), b), "y", ElementType.Float, "batch", 3);
        }

        return g.ToModel();
    }

    [Fact]
    public void Save_then_load_gives_identical_bytes_and_values()
    {
        using var dir = new TempFolder();
        var weights = Enumerable.Range(0, 12).Select(i => i * 0.5f).ToArray();
        var model = SmallModel(weights);
        var path = dir.File("m.onnx");
        model.Save(path);

        var loaded = OnnxModel.Load(path);
        Assert.Equal(model.Proto.ToByteArray(), loaded.Proto.ToByteArray());
        Assert.Equal(weights, loaded.ReadInitializerAsFloat("w"));
        Assert.Equal(17, loaded.OpsetVersion());
        Assert.Equal("/linear/MatMul", loaded.Graph.Node[0].Name);
        Assert.Equal(model.ContentHash(), loaded.ContentHash());
    }

    [Fact]
    public void External_data_is_written_aligned_and_read_lazily()
    {
        using var dir = new TempFolder();
        var weights = Enumerable.Range(0, 12).Select(i => i - 6f).ToArray();
        var path = dir.File("model.onnx");
        SmallModel(weights).SaveWithExternalData(path, "model.onnx_data", thresholdBytes: 40);

        var loaded = OnnxModel.Load(path);
        var w = loaded.FindInitializer("w");
        var b = loaded.FindInitializer("b");
        var reference = ExternalDataReference.From(w);
        Assert.NotNull(reference);
        Assert.Equal("model.onnx_data", reference.Location);
        Assert.Equal(0, reference.Offset % 64);
        Assert.True(w.RawData.IsEmpty, "the graph file must not carry the external weights");
        Assert.Null(ExternalDataReference.From(b)); // 12 bytes stay inline
        Assert.Equal(["model.onnx_data"], loaded.ExternalDataFiles());
        Assert.Equal(weights, loaded.ReadInitializerAsFloat("w"));
        Assert.Equal(new float[] { 1, 2, 3 }, loaded.ReadInitializerAsFloat("b"));
    }

    [Fact]
    public void Saving_a_graph_away_from_its_weights_is_refused()
    {
        using var dir = new TempFolder();
        var path = dir.File("model.onnx");
        SmallModel(new float[12]).SaveWithExternalData(path, "model.onnx_data", thresholdBytes: 40);
        var loaded = OnnxModel.Load(path);

        Directory.CreateDirectory(dir.File("elsewhere"));
        var e = Assert.Throws<InvalidOperationException>(() => loaded.Save(Path.Combine(dir.File("elsewhere"), "copy.onnx")));
        Assert.Contains("model.onnx_data", e.Message);
        Assert.False(File.Exists(Path.Combine(dir.File("elsewhere"), "copy.onnx")));

        // Beside the weights it works, and the copy still reads them.
        loaded.Save(dir.File("copy.onnx"));
        Assert.Equal(new float[12], OnnxModel.Load(dir.File("copy.onnx")).ReadInitializerAsFloat("w"));
    }

    [Fact]
    public void Missing_and_corrupt_files_give_clear_errors()
    {
        using var dir = new TempFolder();
        var missing = dir.File("nope.onnx");
        var e1 = Assert.Throws<FileNotFoundException>(() => OnnxModel.Load(missing));
        Assert.Contains(missing, e1.Message);

        var corrupt = dir.File("corrupt.onnx");
        File.WriteAllBytes(corrupt, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x12, 0x99]);
        var e2 = Assert.Throws<InvalidDataException>(() => OnnxModel.Load(corrupt));
        Assert.Contains(corrupt, e2.Message);
    }

    [Fact]
    public void Missing_external_file_is_named()
    {
        using var dir = new TempFolder();
        var path = dir.File("model.onnx");
        SmallModel(new float[12]).SaveWithExternalData(path, "model.onnx_data", thresholdBytes: 40);
        File.Delete(dir.File("model.onnx_data"));
        var loaded = OnnxModel.Load(path); // graph work still possible
        Assert.Equal(3, loaded.Graph.Node.Count); // MatMul, Add, Identity naming the output
        var e = Assert.Throws<FileNotFoundException>(() => loaded.ReadInitializerAsFloat("w"));
        Assert.Contains("model.onnx_data", e.Message);
        Assert.Contains("'w'", e.Message);
    }

    [Fact]
    public void Large_external_weights_are_not_read_when_loading_the_graph()
    {
        // 64 MB of weights; loading the graph must allocate far less than that.
        using var dir = new TempFolder();
        var g = new GraphBuilder("big");
        var x = g.Input("x", ElementType.Float, 1, 4096);
        var w = g.Initializer("w", new float[4096 * 4096], 4096, 4096);
        g.Output(g.MatMul(x, w), "y", ElementType.Float, 1, 4096);
        var path = dir.File("model.onnx");
        g.ToModel().SaveWithExternalData(path, "model.onnx_data");
        Assert.True(new FileInfo(path).Length < 4096);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var loaded = OnnxModel.Load(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Single(loaded.Graph.Initializer);
        Assert.True(allocated < 1 << 20, $"loading the graph allocated {allocated} bytes");
    }

    [Fact]
    public void Builder_encodes_axes_for_the_opset()
    {
        var g13 = new GraphBuilder("a", opset: 13);
        var x = g13.Input("x", ElementType.Float, 2, 3);
        g13.Output(g13.Unsqueeze(x, 0), "y", ElementType.Float, 1, 2, 3);
        var unsqueeze13 = g13.Build().Graph.Node.Single(n => n.OpType == "Unsqueeze");
        Assert.Equal(2, unsqueeze13.Input.Count);
        Assert.Empty(unsqueeze13.Attribute);

        var g11 = new GraphBuilder("b", opset: 11);
        var y = g11.Input("x", ElementType.Float, 2, 3);
        g11.Output(g11.Unsqueeze(y, 0), "y", ElementType.Float, 1, 2, 3);
        var unsqueeze11 = g11.Build().Graph.Node.Single(n => n.OpType == "Unsqueeze");
        Assert.Single(unsqueeze11.Input);
        Assert.Equal("axes", unsqueeze11.Attribute.Single().Name);
    }

    [Fact]
    public void Builder_rejects_undefined_inputs_and_duplicate_names()
    {
        var g = new GraphBuilder("bad");
        var x = g.Input("x", ElementType.Float, 1);
        Assert.Throws<ArgumentException>(() => g.Input("x", ElementType.Float, 1));
        var e = Assert.Throws<ArgumentException>(() => g.Add(x, new Value("ghost")));
        Assert.Contains("ghost", e.Message);
    }

    [Fact]
    public void Initializer_with_wrong_element_count_is_rejected()
    {
        var g = new GraphBuilder("bad");
        var e = Assert.Throws<ArgumentException>(() => g.Initializer("w", new float[5], 2, 3));
        Assert.Contains("'w'", e.Message);
    }
}
