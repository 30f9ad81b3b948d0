using System.Text.Json;
using OrtDiffusion.Evaluation;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Tests.Evaluation;

[Collection(EvaluationZooCollection.Name)]
public sealed class TinyFidNetworkTests(EvaluationZoo zoo)
{
    [Fact]
    public void The_manifest_has_the_exporters_schema()
    {
        // The keys onnx-export/export_fid_inception.py writes into fid.json.
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(zoo.Zoo.Fid, "fid.json")));
        var root = doc.RootElement;
        Assert.Equal("images", root.GetProperty("input").GetString());
        Assert.Equal("features", root.GetProperty("output").GetString());
        Assert.Equal(64, root.GetProperty("feature_dim").GetInt32());
        Assert.Equal([0.0, 1.0], root.GetProperty("input_range").EnumerateArray().Select(e => e.GetDouble()));
        Assert.Equal("model.onnx", root.GetProperty("model").GetString());
    }

    [Fact]
    public void Features_take_any_size_and_a_batch_equals_its_items()
    {
        using var fid = FidFeatureExtractor.Load(zoo.Zoo.Fid);
        Assert.Equal(64, fid.FeatureDimension);
        var rng = new Random(3);
        var a = new FloatTensor([.. Enumerable.Range(0, 3 * 48 * 80).Select(_ => (float)rng.NextDouble())], 1, 3, 48, 80);
        var b = new FloatTensor([.. Enumerable.Range(0, 3 * 48 * 80).Select(_ => (float)rng.NextDouble())], 1, 3, 48, 80);
        var fa = fid.Extract(a);
        var fb = fid.Extract(b);
        var both = fid.Extract(FloatTensor.Concat(a, b));
        Assert.Equal(128, both.Length);
        Assert.All(fa.Zip(both[..64]), p => Assert.Equal(p.First, p.Second, 1e-5f));
        Assert.All(fb.Zip(both[64..]), p => Assert.Equal(p.First, p.Second, 1e-5f));
        Assert.All(fa, v => Assert.True(v >= 0, "average of ReLU maps")); // like Inception's pool3
        Assert.True(fa.Zip(fb).Max(p => Math.Abs(p.First - p.Second)) > 1e-4, "different images, different features");
        Assert.Equal(64, fid.Extract(new FloatTensor(new float[3 * 300 * 200], 1, 3, 300, 200)).Length);
    }

    [Fact]
    public void A_reference_folder_and_its_saved_statistics_give_the_same_gaussian()
    {
        using var fid = FidFeatureExtractor.Load(zoo.Zoo.Fid);
        using var dir = new TempFolder();
        var fromFolder = FidReference.Load(zoo.ReferenceFolder, fid);
        Assert.Equal(4, fromFolder.Count);
        fromFolder.Save(dir.File("ref.npz"));
        var fromFile = FidReference.Load(dir.File("ref.npz"), fid);
        Assert.Equal(fromFolder.Mean, fromFile.Mean);
        Assert.Equal(fromFolder.Covariance, fromFile.Covariance);
        Assert.Equal(0, FrechetDistance.Compute(fromFolder, fromFile).Distance, 9);
    }

    [Fact]
    public void Bad_fid_folders_are_explained()
    {
        using var dir = new TempFolder();
        Assert.Throws<DirectoryNotFoundException>(() => FidFeatureExtractor.Load(dir.File("missing")));
        Assert.Contains("has no fid.json", Assert.Throws<FileNotFoundException>(() => FidFeatureExtractor.Load(dir.Path)).Message);
        File.Copy(Path.Combine(zoo.Zoo.Fid, "model.onnx"), dir.File("model.onnx"));
        File.WriteAllText(dir.File("fid.json"), "{\"model\":\"model.onnx\",\"input\":\"images\",\"output\":\"pool3\",\"feature_dim\":64}");
        Assert.Contains("has no output 'pool3'", Assert.Throws<InvalidDataException>(() => FidFeatureExtractor.Load(dir.Path)).Message);
        File.WriteAllText(dir.File("fid.json"), "{\"model\":\"model.onnx\",\"input\":\"images\",\"output\":\"features\",\"feature_dim\":2048}");
        Assert.Contains("says [batch, 2048]", Assert.Throws<InvalidDataException>(() => FidFeatureExtractor.Load(dir.Path)).Message);
        File.WriteAllText(dir.File("fid.json"), "{\"input\":\"images\"}");
        Assert.Contains("has no 'output'", Assert.Throws<InvalidDataException>(() => FidFeatureExtractor.Load(dir.Path)).Message);

        using var fid = FidFeatureExtractor.Load(zoo.Zoo.Fid);
        Directory.CreateDirectory(dir.File("one"));
        File.Copy(Directory.GetFiles(zoo.ReferenceFolder)[0], dir.File("one/a.png"));
        Assert.Contains("a covariance needs at least two", Assert.Throws<InvalidDataException>(() => FidReference.Load(dir.File("one"), fid)).Message);
        Assert.Contains("needs the FID model", Assert.Throws<ArgumentException>(() => FidReference.Load(zoo.ReferenceFolder, null)).Message);
        Assert.Throws<FileNotFoundException>(() => FidReference.Load(dir.File("nothing"), fid));
    }
}
