using OrtDiffusion.Rewards;

namespace OrtDiffusion.Tests.Rewards;

public sealed class RewardManifestTests
{
    [Fact]
    public void Save_then_load_round_trips()
    {
        using var dir = new TempFolder("manifest");
        var manifest = new RewardManifest
        {
            Kind = RewardKind.ImageReward,
            TextInputs = [new RewardTextInput("input_ids", RewardTextInputKind.InputIds), new RewardTextInput("attention_mask", RewardTextInputKind.AttentionMask)],
            Tokenizer = new RewardTokenizer { Kind = RewardTokenizerKind.BertWordPiece, MaxLength = 35 },
            Preprocessing = new RewardPreprocessing { ImageSize = 224, Resize = "bicubic", Mean = [0.5, 0.5, 0.5], Std = [0.25, 0.25, 0.25] },
            ScoreNormalization = RewardScoreNormalization.ImageRewardV1,
        };
        manifest.Save(dir.Path);
        var loaded = RewardManifest.Load(dir.Path);
        Assert.Equal(manifest.Kind, loaded.Kind);
        Assert.Equal(manifest.TextInputs, loaded.TextInputs);
        Assert.Equal(manifest.Tokenizer, loaded.Tokenizer);
        Assert.Equal(224, loaded.Preprocessing.ImageSize);
        Assert.Equal([0.5, 0.5, 0.5], loaded.Preprocessing.Mean);
        Assert.Equal(manifest.ScoreNormalization, loaded.ScoreNormalization);
        Assert.Equal(0.16717362830052426, loaded.ScoreNormalization!.Mean); // ImageReward.py's self.mean, to the last digit
        Assert.Equal(1.0333394966054072, loaded.ScoreNormalization.Std);
        Assert.Contains("\"kind\": \"image_reward\"", File.ReadAllText(Path.Combine(dir.Path, "reward.json")));
        Assert.Contains("\"kind\": \"bert_wordpiece\"", File.ReadAllText(Path.Combine(dir.Path, "reward.json")));
    }

    [Fact]
    public void Missing_manifest_names_the_path()
    {
        using var dir = new TempFolder("manifest-missing");
        var e = Assert.Throws<FileNotFoundException>(() => RewardManifest.Load(dir.Path));
        Assert.Contains(Path.Combine(dir.Path, "reward.json"), e.Message);
    }

    [Theory]
    [InlineData("{ \"format_version\": 2, \"kind\": \"clip\" }", "format_version 2")]
    [InlineData("{ \"kind\": \"sharpness\" }", "unknown kind \"sharpness\"; this library knows clip, aesthetic, image_reward, hpsv2")]
    [InlineData("{ \"model\": \"model.onnx\" }", "has no 'kind'")]
    [InlineData("{ \"kind\": \"image_reward\", \"score_normalization\": { \"mean\": 0.1, \"std\": 0 } }", "positive std")]
    [InlineData("{ \"kind\": \"clip\", \"text_inputs\": [ { \"name\": \"text_embeds\", \"kind\": \"text_embeds\" } ], \"tokenizer\": { \"kind\": \"clip_bpe\", \"max_length\": 77 } }", "no 'text_model'")]
    [InlineData("{ \"kind\": \"hpsv2\", \"text_inputs\": [ { \"name\": \"input_ids\", \"kind\": \"input_ids\" } ] }", "no 'tokenizer'")]
    [InlineData("{ \"kind\": \"clip\", \"image_input\": \"\" }", "must name")]
    [InlineData("[1, 2", "not valid")]
    public void Bad_manifests_are_refused_naming_the_file_and_the_problem(string json, string expected)
    {
        using var dir = new TempFolder("manifest-bad");
        var path = Path.Combine(dir.Path, "reward.json");
        File.WriteAllText(path, json);
        var e = Assert.Throws<InvalidDataException>(() => RewardManifest.Load(dir.Path));
        Assert.Contains(path, e.Message);
        Assert.Contains(expected, e.Message);
    }
}
