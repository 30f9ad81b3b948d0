using OrtDiffusion.Onnx;
using OrtDiffusion.Rewards;
using OrtDiffusion.Text;
using OrtDiffusion.TinyModels;
using OrtDiffusion.TinyModels.Tokenizer;

namespace OrtDiffusion.Tests.Rewards;

/// <summary>The zoo's ImageReward and HPSv2 folders: their files, tokenizers, contracts, and opset 14 = opset 17.</summary>
[Collection(RewardZooCollection.Name)]
public sealed class TinyRewardZooTests(RewardZooFixture zoo)
{
    [Fact]
    public void Every_reward_folder_holds_what_its_manifest_names()
    {
        var files = new Dictionary<RewardKind, string[]>
        {
            [RewardKind.Clip] = ["reward.json", "model.onnx", "text_model.onnx", "tokenizer/vocab.json", "tokenizer/merges.txt"],
            [RewardKind.Aesthetic] = ["reward.json", "model.onnx"],
            [RewardKind.ImageReward] = ["reward.json", "model.onnx", "tokenizer/vocab.txt", "tokenizer/tokenizer_config.json", "tokenizer/special_tokens_map.json"],
            [RewardKind.HpsV2] = ["reward.json", "model.onnx", "text_model.onnx", "tokenizer/vocab.json", "tokenizer/merges.txt", "tokenizer/tokenizer_config.json"],
        };
        foreach (var (kind, names) in files)
        {
            Assert.Equal(kind, RewardManifest.Load(zoo.Folders[kind]).Kind);
            Assert.All(names, f => Assert.True(File.Exists(Path.Combine(zoo.Folders[kind], f)), $"{kind}: {f} is missing"));
        }

        Assert.Equal(RewardKinds.All, TinyZoo.BuiltRewards);
    }

    [Fact]
    public void The_wordpiece_vocabulary_has_berts_specials_first_and_no_repeated_line()
    {
        var lines = File.ReadAllLines(Path.Combine(zoo.Folders[RewardKind.ImageReward], "tokenizer", "vocab.txt"));
        Assert.Equal(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], lines[..5]);
        Assert.Equal(lines.Length, lines.Distinct(StringComparer.Ordinal).Count());
        Assert.Contains("##ing", lines);
        Assert.Contains("photo", lines);

        var tokenizer = BertWordPieceTokenizer.FromFolder(Path.Combine(zoo.Folders[RewardKind.ImageReward], "tokenizer"));
        Assert.Equal((0, 1, 2, 3), (tokenizer.PadId, tokenizer.UnkId, tokenizer.ClsId, tokenizer.SepId));
        var encoded = tokenizer.Encode("a photo of a cat");
        Assert.Equal(35, encoded.Length);
        Assert.Equal([2, Array.IndexOf(lines, "a"), Array.IndexOf(lines, "photo"), Array.IndexOf(lines, "of"), Array.IndexOf(lines, "a"), Array.IndexOf(lines, "cat"), 3], encoded.Ids[..7]);

        // BLIP's [DEC] and [ENC] follow the vocabulary as added tokens: the embedding has two more rows.
        var model = OnnxModel.Load(Path.Combine(zoo.Folders[RewardKind.ImageReward], "model.onnx"));
        Assert.Equal(lines.Length + 2, model.FindInitializer("blip.text_encoder.embeddings.word_embeddings.weight").Dims[0]);
        Assert.Equal(TinyWordPieceVocabulary.Default.EncoderTokenId, lines.Length + 1);
    }

    [Fact]
    public void Hpsv2_pads_with_id_0_as_open_clip_and_clip_with_end_of_text()
    {
        var hps = ClipTokenizer.FromFolder(Path.Combine(zoo.Folders[RewardKind.HpsV2], "tokenizer"), 77);
        var clip = ClipTokenizer.FromFolder(Path.Combine(zoo.Folders[RewardKind.Clip], "tokenizer"), 77);
        Assert.Equal(0, hps.PadId);
        Assert.Equal(clip.EosId, clip.PadId);
        Assert.Equal(clip.Encode("a cat").Ids[..4], hps.Encode("a cat").Ids[..4]);
    }

    [Theory]
    [InlineData(RewardKind.ImageReward)]
    [InlineData(RewardKind.HpsV2)]
    public void Opset_14_decomposed_layer_norms_score_and_differentiate_as_opset_17(RewardKind kind)
    {
        using var dir = new TempFolder("rewards-opset14");
        var folder = TinyZoo.WriteReward(dir.File(RewardKinds.Name(kind)), kind, new TinyZooOptions { Opset = 14 });
        Assert.Equal(14, OnnxModel.Load(Path.Combine(folder, "model.onnx")).OpsetVersion());
        var images = RewardTestData.Uniform(2, 30, 44, 41);
        using var old = RewardModel.Load(folder);
        using var current = zoo.Load(kind);
        var a = old.ScoreWithGradient(images, "a photo of a cat");
        var b = current.ScoreWithGradient(images, "a photo of a cat");
        Assert.Equal(b.Scores[0], a.Scores[0], 1e-5f);
        Assert.Equal(b.Scores[1], a.Scores[1], 1e-5f);
        var scale = b.ImageGradient.Data.Max(Math.Abs);
        for (var i = 0; i < images.Length; i++)
        {
            Assert.True(Math.Abs(a.ImageGradient.Data[i] - b.ImageGradient.Data[i]) <= 1e-4 * scale, $"{kind} gradient[{i}]: opset 14 {a.ImageGradient.Data[i]} vs 17 {b.ImageGradient.Data[i]}");
        }
    }
}
