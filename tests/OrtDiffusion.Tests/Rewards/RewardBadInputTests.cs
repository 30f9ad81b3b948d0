using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.Rewards;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Tests.Rewards;

/// <summary>Folders that do not match their manifest and bad arguments get clear errors naming what and where.</summary>
[Collection(RewardZooCollection.Name)]
public sealed class RewardBadInputTests(RewardZooFixture zoo)
{
    [Fact]
    public void A_missing_folder_or_model_file_is_named()
    {
        using var dir = new TempFolder("reward-missing");
        var missing = dir.File("nowhere");
        Assert.Contains(missing, Assert.Throws<DirectoryNotFoundException>(() => RewardModel.Load(missing)).Message);

        var copy = Copy(RewardKind.Aesthetic, dir);
        File.Delete(Path.Combine(copy, "model.onnx"));
        var e = Assert.Throws<FileNotFoundException>(() => RewardModel.Load(copy));
        Assert.Contains(Path.Combine(copy, "model.onnx"), e.Message);
        Assert.Contains("reward.json names ('model')", e.Message);
    }

    [Fact]
    public void A_missing_text_model_or_tokenizer_folder_is_named()
    {
        using var dir = new TempFolder("reward-missing-text");
        var clip = Copy(RewardKind.Clip, dir);
        File.Delete(Path.Combine(clip, "text_model.onnx"));
        Assert.Contains("('text_model.model')", Assert.Throws<FileNotFoundException>(() => RewardModel.Load(clip)).Message);

        var imageReward = Copy(RewardKind.ImageReward, dir);
        Directory.Delete(Path.Combine(imageReward, "tokenizer"), recursive: true);
        var e = Assert.Throws<DirectoryNotFoundException>(() => RewardModel.Load(imageReward));
        Assert.Contains(Path.Combine(imageReward, "tokenizer"), e.Message);
    }

    [Fact]
    public void An_unknown_kind_is_named()
    {
        using var dir = new TempFolder("reward-kind");
        var copy = Copy(RewardKind.Aesthetic, dir);
        File.WriteAllText(Path.Combine(copy, "reward.json"), File.ReadAllText(Path.Combine(copy, "reward.json")).Replace("\"aesthetic\"", "\"pickscore\"", StringComparison.Ordinal));
        var e = Assert.Throws<InvalidDataException>(() => RewardModel.Load(copy));
        Assert.Contains("unknown kind \"pickscore\"", e.Message);
        Assert.Contains(Path.Combine(copy, "reward.json"), e.Message);
    }

    public static TheoryData<RewardKind, string, string> Mismatches => new()
    {
        { RewardKind.Aesthetic, "image", "has no input 'pixels' (reward.json 'image_input'); its inputs are images: Float[batch_size, 3, height, width]" },
        { RewardKind.Aesthetic, "output", "has no output 'logits' (reward.json 'output')" },
        { RewardKind.Clip, "undescribed", "input(s) 'text_embeds' are not described by reward.json" },
        { RewardKind.HpsV2, "text output", "text model" },
        { RewardKind.Clip, "kind", "a reward of kind 'image_reward' needs text inputs input_ids and attention_mask" },
    };

    [Theory]
    [MemberData(nameof(Mismatches))]
    public void A_manifest_that_does_not_match_the_model_metadata_is_refused(RewardKind kind, string change, string expected)
    {
        using var dir = new TempFolder("reward-mismatch");
        var copy = Copy(kind, dir);
        var m = RewardManifest.Load(copy);
        m = change switch
        {
            "image" => m with { ImageInput = "pixels" },
            "output" => m with { Output = "logits" },
            "undescribed" => m with { TextInputs = [], TextModel = null, Tokenizer = null, Kind = RewardKind.Aesthetic },
            "text output" => m with { TextModel = m.TextModel! with { Output = "pooled" } },
            _ => m with { Kind = RewardKind.ImageReward },
        };
        m.Save(copy);
        var e = Assert.Throws<InvalidDataException>(() => RewardModel.Load(copy));
        Assert.Contains(copy, e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Theory]
    [InlineData("image rank", "image input 'images' is Float[batch_size, 3]; reward.json needs float [batch, 3, height, width]")]
    [InlineData("output rank", "output 'score' is Float[batch_size, 1]; a reward returns float [batch]")]
    [InlineData("token type", "text input 'input_ids' (input_ids) is Float[batch_size, 35]; it must be int32 or int64 [batch, length]")]
    public void Model_inputs_and_outputs_are_checked_against_the_metadata(string which, string expected)
    {
        using var dir = new TempFolder("reward-rank");
        var g = new GraphBuilder("bad", 17);
        var manifest = new RewardManifest { Kind = RewardKind.Aesthetic, Preprocessing = new RewardPreprocessing { ImageSize = 32 } };
        switch (which)
        {
            case "image rank":
                g.Output(g.ReduceSum(g.Input("images", ElementType.Float, "batch_size", 3), [1], keepDims: false), "score", ElementType.Float, "batch_size");
                break;
            case "output rank":
                var mean = g.ReduceMean(g.Input("images", ElementType.Float, "batch_size", 3, "height", "width"), [2, 3], keepDims: false);
                g.Output(g.ReduceSum(mean, [1], keepDims: true), "score", ElementType.Float, "batch_size", 1);
                break;
            default:
                var pixels = g.ReduceMean(g.Input("images", ElementType.Float, "batch_size", 3, "height", "width"), [1, 2, 3], keepDims: false);
                var ids = g.ReduceSum(g.Input("input_ids", ElementType.Float, "batch_size", 35), [1], keepDims: false);
                var mask = g.Cast(g.ReduceSum(g.Input("attention_mask", ElementType.Int64, "batch_size", 35), [1], keepDims: false), ElementType.Float);
                g.Output(g.Add(g.Add(pixels, ids), mask), "score", ElementType.Float, "batch_size");
                Directory.CreateDirectory(dir.File("tokenizer"));
                manifest = RewardManifest.Load(zoo.Folders[RewardKind.ImageReward]);
                break;
        }

        g.ToModel().Save(dir.File("model.onnx"));
        manifest.Save(dir.Path);
        var e = Assert.Throws<InvalidDataException>(() => RewardModel.Load(dir.Path));
        Assert.Contains(dir.File("model.onnx"), e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Bad_image_batches_and_weights_are_refused_naming_the_problem()
    {
        using var reward = zoo.Load(RewardKind.Aesthetic);
        Assert.Contains("[batch, 3, height, width]", Assert.Throws<ArgumentException>(() => reward.Score(new FloatTensor(new float[3 * 32 * 32], 3, 32, 32), "p")).Message);
        Assert.Contains("got [1, 4, 8, 8]", Assert.Throws<ArgumentException>(() => reward.Score(FloatTensor.Zeros(1, 4, 8, 8), "p")).Message);

        var nan = RewardTestData.Uniform(2, 8, 8, 1);
        nan.Data[(3 * 64) + (2 * 64) + (5 * 8) + 6] = float.NaN;
        var e = Assert.Throws<ArgumentException>(() => reward.ScoreWithGradient(nan, "p"));
        Assert.Contains("image 1 holds the non-finite value NaN at channel 2, row 5, column 6", e.Message);
        Assert.Contains("'aesthetic'", e.Message);

        var images = RewardTestData.Uniform(2, 8, 8, 2);
        Assert.Contains("3 weights for 2 images", Assert.Throws<ArgumentException>(() => reward.ScoreWithGradient(images, "p", [1f, 1f, 1f])).Message);
        Assert.Contains("weight 1 is Infinity", Assert.Throws<ArgumentException>(() => reward.ScoreWithGradient(images, "p", [1f, float.PositiveInfinity])).Message);
        Assert.Throws<ArgumentNullException>(() => reward.Score(images, null!));
    }

    [Fact]
    public void A_non_finite_score_or_gradient_throws_naming_the_reward_and_the_prompt()
    {
        using var dir = new TempFolder("reward-nan");
        var nanScore = WriteImageOnlyReward(dir.File("nan_score"), g => g.Log(g.Sub(g.ReduceMean(g.Input("images", ElementType.Float, "batch_size", 3, "height", "width"), [1, 2, 3], keepDims: false), g.Scalar(2f))));
        using (var reward = RewardModel.Load(nanScore))
        {
            var e = Assert.Throws<NonFiniteRewardException>(() => reward.Score(RewardTestData.Uniform(2, 8, 8, 3), "a cat"));
            Assert.Equal("Reward 'nan_score' produced a non-finite score of image 0 (NaN) for the prompt \"a cat\".", e.Message);
            Assert.Equal(("nan_score", "a cat"), (e.RewardName, e.Prompt));
        }

        // √(0·mean) is 0, but its derivative at 0 is infinite: a finite score with a NaN gradient.
        var nanGradient = WriteImageOnlyReward(dir.File("nan_gradient"), g => g.Sqrt(g.Mul(g.ReduceMean(g.Input("images", ElementType.Float, "batch_size", 3, "height", "width"), [1, 2, 3], keepDims: false), g.Scalar(0f))));
        using (var reward = RewardModel.Load(nanGradient))
        {
            Assert.Equal([0f], reward.Score(RewardTestData.Uniform(1, 8, 8, 4), "a dog"));
            var e = Assert.Throws<NonFiniteRewardException>(() => reward.ScoreWithGradient(RewardTestData.Uniform(1, 8, 8, 4), "a dog"));
            Assert.Contains("non-finite image gradient of image 0", e.Message);
            Assert.Contains("\"a dog\"", e.Message);
        }
    }

    private static string WriteImageOnlyReward(string folder, Func<GraphBuilder, Value> score)
    {
        Directory.CreateDirectory(folder);
        var g = new GraphBuilder("nan", 17);
        g.Output(score(g), "score", ElementType.Float, "batch_size");
        g.ToModel().Save(Path.Combine(folder, "model.onnx"));
        new RewardManifest { Kind = RewardKind.Aesthetic, Preprocessing = new RewardPreprocessing { ImageSize = 8 } }.Save(folder);
        return folder;
    }

    private string Copy(RewardKind kind, TempFolder dir)
    {
        var source = zoo.Folders[kind];
        var target = dir.File(RewardKinds.Name(kind));
        foreach (var file in Directory.GetFiles(source, "*", SearchOption.AllDirectories).Where(f => !f.Contains(".vjp.", StringComparison.Ordinal)))
        {
            var destination = Path.Combine(target, Path.GetRelativePath(source, file));
            Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
            File.Copy(file, destination);
        }

        return target;
    }
}
