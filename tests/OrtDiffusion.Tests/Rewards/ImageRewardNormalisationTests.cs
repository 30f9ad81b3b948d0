using System.Text.Json;
using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.IO;
using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels;
using OrtDiffusion.TinyModels.Models;
using OrtDiffusion.TinyModels.Tokenizer;
using static OrtDiffusion.Tests.TinyModels.TorchReference;

namespace OrtDiffusion.Tests.Rewards;

/// <summary>
/// ImageReward's <c>(r − 0.16717362830052426) / 1.0333394966054072</c>. The zoo (and the recommended export) does it
/// inside <c>model.onnx</c>, recorded in <c>reward.json</c> as <c>score_normalization.in_graph = true</c>; a graph that
/// returns the raw MLP output says <c>in_graph: false</c> and the library applies it (scores, and 1/std on the gradient).
/// </summary>
[Collection(RewardZooCollection.Name)]
public sealed class ImageRewardNormalisationTests(RewardZooFixture zoo)
{
    [Fact]
    public void The_graph_ends_with_sub_mean_div_std_of_imagereward_v1()
    {
        var folder = zoo.Folders[RewardKind.ImageReward];
        var manifest = RewardManifest.Load(folder);
        Assert.Equal(new RewardScoreNormalization { Mean = 0.16717362830052426, Std = 1.0333394966054072, InGraph = true }, manifest.ScoreNormalization);

        var model = OnnxModel.Load(Path.Combine(folder, "model.onnx"));
        var named = model.Graph.Node.Single(n => n.Output.Contains("score"));
        Assert.Equal("Identity", named.OpType); // the builder names the output by an Identity, as torch does for a renamed output
        var div = model.Graph.Node.Single(n => n.Output.Contains(named.Input[0]));
        Assert.Equal("Div", div.OpType);
        var sub = model.Graph.Node.Single(n => n.Output.Contains(div.Input[0]));
        Assert.Equal("Sub", sub.OpType);
        Assert.Equal((float)manifest.ScoreNormalization!.Mean, Constant(model, sub.Input[1]));
        Assert.Equal((float)manifest.ScoreNormalization.Std, Constant(model, div.Input[1]));
    }

    [Fact]
    public void Scores_are_the_torch_raw_output_normalised()
    {
        // rewards_torch_expected.json has ImageReward's raw MLP output r and the score; the score is (r − mean) / std.
        var expected = JsonDocument.Parse(File.ReadAllText(Fixtures.Path("rewards", "rewards_torch_expected.json"))).RootElement.GetProperty("image_reward");
        var raw = Floats(expected.GetProperty("raw"));
        using var reward = zoo.Load(RewardKind.ImageReward);
        var scores = reward.Score(RewardTestData.ReferenceImages(), RewardTestData.ImageRewardPrompt);
        for (var b = 0; b < 2; b++)
        {
            Assert.Equal((raw[b] - 0.16717362830052426) / 1.0333394966054072, scores[b], 2e-5);
        }
    }

    [Fact]
    public void A_raw_output_graph_with_in_graph_false_gives_the_same_scores_and_gradients()
    {
        using var dir = new TempFolder("image-reward-raw");
        var source = zoo.Folders[RewardKind.ImageReward];
        CopyFolder(Path.Combine(source, "tokenizer"), Path.Combine(dir.Path, "tokenizer"));
        var vocabulary = TinyWordPieceVocabulary.Default;
        ImageRewardModel.Build(TinyZooOptions.Default, vocabulary.EmbeddingRows, vocabulary.EncoderTokenId, normaliseInGraph: false).Save(dir.File("model.onnx"));
        (RewardManifest.Load(source) with { ScoreNormalization = RewardScoreNormalization.ImageRewardV1 with { InGraph = false } }).Save(dir.Path);

        var images = RewardTestData.Uniform(2, 40, 30, 31);
        const string prompt = "a cute puppy playing in the grass";
        float[] weights = [1f, 0.5f];
        using var inGraph = zoo.Load(RewardKind.ImageReward);
        using var inLibrary = RewardModel.Load(dir.Path);
        var a = inGraph.ScoreWithGradient(images, prompt, weights);
        var b = inLibrary.ScoreWithGradient(images, prompt, weights);
        Assert.Equal(a.Scores[0], b.Scores[0], 2e-6f);
        Assert.Equal(a.Scores[1], b.Scores[1], 2e-6f);
        Assert.Equal(inGraph.Score(images, prompt)[1], inLibrary.Score(images, prompt)[1], 2e-6f);
        var scale = a.ImageGradient.Data.Max(Math.Abs);
        for (var i = 0; i < images.Length; i++)
        {
            Assert.True(Math.Abs(a.ImageGradient.Data[i] - b.ImageGradient.Data[i]) <= 1e-5 * scale, $"gradient[{i}]: {b.ImageGradient.Data[i]} vs in-graph {a.ImageGradient.Data[i]}");
        }
    }

    private static float Constant(OnnxModel model, string name)
    {
        var producer = model.Graph.Node.Single(n => n.Output.Contains(name));
        Assert.Equal("Constant", producer.OpType);
        return TensorProtos.ReadAsFloat(producer.Attribute.Single(a => a.Name == "value").T).Single();
    }

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }
    }
}
