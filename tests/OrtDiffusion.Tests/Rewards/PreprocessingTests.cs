using OrtDiffusion.Onnx;
using OrtDiffusion.Rewards;
using OrtDiffusion.Runtime;

namespace OrtDiffusion.Tests.Rewards;

/// <summary>
/// Each reward's in-graph preprocessing, cut out of its shipped <c>model.onnx</c> (everything up to the last node of
/// the <c>preprocess</c> scope), equals <see cref="PreprocessingReference"/> with the constants its <c>reward.json</c>
/// records (image size, mean, std): down- and up-scaling, portrait and landscape, odd crop offsets. Tolerance 1e-4 in
/// normalised units (≈ 3e-5 of a [0, 1] pixel): ONNX Runtime computes the source coordinates in float32, which
/// at 512 → 28 moves them by ~1e-5 (measured worst case 1.5e-5); the reference works in double.
/// </summary>
[Collection(RewardZooCollection.Name)]
public sealed class PreprocessingTests(RewardZooFixture zoo)
{
    public static TheoryData<RewardKind, int, int> Cases()
    {
        var data = new TheoryData<RewardKind, int, int>();
        foreach (var kind in RewardKinds.All)
        {
            foreach (var (h, w) in new[] { (36, 52), (71, 40), (64, 64), (19, 23), (512, 512) })
            {
                data.Add(kind, h, w);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Graph_preprocessing_equals_the_plain_csharp_reference(RewardKind kind, int height, int width)
    {
        var folder = zoo.Folders[kind];
        var manifest = RewardManifest.Load(folder);
        Assert.True(manifest.Preprocessing.InGraph);
        Assert.Equal("bilinear", manifest.Preprocessing.Resize);
        Assert.Equal("center", manifest.Preprocessing.Crop);

        var model = OnnxModel.Load(Path.Combine(folder, manifest.Model));
        var last = model.Graph.Node.Last(n => n.Name.Contains("/preprocess/", StringComparison.Ordinal));
        using var dir = new TempFolder("preprocess-cut");
        var path = dir.File("preprocess.onnx");
        SubModel.Upto(model, last.Output[0]).Save(path);

        var image = RewardTestData.Uniform(1, height, width, height * width).Data;
        using var session = new InferenceSession(path);
        using var input = OrtValue.CreateTensor(image, [1, 3, height, width]);
        using var outputs = session.Run(new Dictionary<string, OrtValue> { [manifest.ImageInput] = input });
        var size = manifest.Preprocessing.ImageSize;
        Assert.Equal([1L, 3, size, size], outputs[0].Shape.ToArray());

        var actual = outputs[0].ToArray<float>();
        var expected = PreprocessingReference.Preprocess(image, height, width, manifest.Preprocessing);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(expected[i] - actual[i]) <= 1e-4, $"{kind} {height}x{width} pixel {i}: graph {actual[i]} vs reference {expected[i]}");
        }
    }

    [Fact]
    public void Manifests_record_each_models_own_size_and_clip_constants()
    {
        Assert.Equal(32, RewardManifest.Load(zoo.Folders[RewardKind.Clip]).Preprocessing.ImageSize);
        Assert.Equal(32, RewardManifest.Load(zoo.Folders[RewardKind.ImageReward]).Preprocessing.ImageSize);
        var hps = RewardManifest.Load(zoo.Folders[RewardKind.HpsV2]).Preprocessing;
        Assert.Equal(28, hps.ImageSize);
        Assert.Equal([0.48145466, 0.4578275, 0.40821073], hps.Mean); // OpenAI CLIP's constants, as open_clip's OPENAI_DATASET_MEAN
        Assert.Equal([0.26862954, 0.26130258, 0.27577711], hps.Std);
    }
}
