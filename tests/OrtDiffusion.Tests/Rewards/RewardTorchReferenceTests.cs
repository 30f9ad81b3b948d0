using System.Text.Json;
using OrtDiffusion.IO;
using OrtDiffusion.Rewards;
using OrtDiffusion.Text;
using Xunit.Abstractions;
using static OrtDiffusion.Tests.TinyModels.TorchReference;

namespace OrtDiffusion.Tests.Rewards;

/// <summary>
/// Scores and image gradients of the four rewards against Reference/rewards_torch_reference.py: each reward written
/// in torch from the original projects' semantics (BLIP ViT + BERT for ImageReward, torch's own
/// nn.MultiheadAttention for HPSv2, F.interpolate for the preprocessing) on the zoo's weights, the gradient by autograd
/// of Σ_b w_b · score_b with w = [1, −0.5].
/// </summary>
[Collection(RewardZooCollection.Name)]
public sealed class RewardTorchReferenceTests(RewardZooFixture zoo, ITestOutputHelper output)
{
    private static readonly Lazy<JsonElement> Reference = new(() =>
        JsonDocument.Parse(File.ReadAllText(Fixtures.Path("rewards", "rewards_torch_expected.json"))).RootElement);

    private static readonly float[] Weights = [1f, -0.5f];

    [Theory]
    [MemberData(nameof(RewardTestData.Kinds), MemberType = typeof(RewardTestData))]
    public void Scores_and_image_gradients_equal_torch_autograd(RewardKind kind)
    {
        var expected = Reference.Value.GetProperty(RewardKinds.Name(kind));
        var images = RewardTestData.ReferenceImages();
        using var reward = zoo.Load(kind);

        var scores = reward.Score(images, RewardTestData.PromptFor(kind));
        AssertClose(Floats(expected.GetProperty("score")), scores, 2e-5, $"{kind} score");

        var result = reward.ScoreWithGradient(images, RewardTestData.PromptFor(kind), Weights);
        AssertClose(Floats(expected.GetProperty("score")), result.Scores, 2e-5, $"{kind} VJP score");
        Assert.Equal(images.Shape, result.ImageGradient.Shape);

        // Entries reach ~1e-2; allowed: 1e-4 of the largest torch entry plus 0.1 % of the entry (measured: ≤ 5e-6 of the largest).
        var torch = NpyFile.Read(Fixtures.Path("rewards", $"{RewardKinds.Name(kind)}.image_grad.npy")).ToFloat32();
        var scale = torch.Max(Math.Abs);
        Assert.True(scale > 0, "the torch gradient is zero");
        var worst = torch.Select((t, i) => Math.Abs(t - result.ImageGradient.Data[i])).Max();
        output.WriteLine($"{kind}: score error {scores.Select((v, i) => Math.Abs(v - Floats(expected.GetProperty("score"))[i])).Max():E2}, gradient max |error| {worst:E2} = {worst / scale:E2} of the largest entry {scale:E3}");
        for (var i = 0; i < torch.Length; i++)
        {
            var allowed = (1e-4 * scale) + (1e-3 * Math.Abs(torch[i]));
            Assert.True(Math.Abs(torch[i] - result.ImageGradient.Data[i]) <= allowed, $"{kind} gradient[{i}]: {result.ImageGradient.Data[i]} vs torch {torch[i]} (scale {scale})");
        }
    }

    [Fact]
    public void Image_reward_feeds_the_wordpiece_ids_and_mask_of_the_reference_tokenizer()
    {
        // Ids from Fixtures/text/bert_reference.py (BERT's basic + WordPiece tokenisation) on the zoo's vocab.txt.
        var expected = Reference.Value.GetProperty("image_reward");
        using var reward = zoo.Load(RewardKind.ImageReward);
        var features = reward.EncodePrompt(RewardTestData.ImageRewardPrompt).Inputs.ToDictionary(f => f.Name);
        Assert.Equal(Ints(expected.GetProperty("input_ids")).Select(i => (long)i), (long[])features["input_ids"].Data);
        Assert.Equal(Ints(expected.GetProperty("attention_mask")).Select(i => (long)i), (long[])features["attention_mask"].Data);
        Assert.Equal([1L, 35], features["input_ids"].Shape);

        // The split is a real WordPiece one: a word spelled in pieces, a continuation suffix and an unknown character.
        var tokenizer = BertWordPieceTokenizer.FromFolder(Path.Combine(zoo.Folders[RewardKind.ImageReward], "tokenizer"));
        var tokens = tokenizer.Tokenize(RewardTestData.ImageRewardPrompt);
        Assert.Equal(expected.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()), tokens);
        Assert.Contains("##ing", tokens);
        Assert.Contains("[UNK]", tokens);
    }

    [Theory]
    [InlineData(RewardKind.Clip, 1048)]
    [InlineData(RewardKind.HpsV2, 0)]
    public void Clip_style_rewards_pad_their_bpe_ids_as_their_text_towers_expect(RewardKind kind, int padId)
    {
        // CLIP (transformers) pads with <|endoftext|> (1048 in the tiny vocabulary); open_clip.tokenize pads with 0.
        var expected = Ints(Reference.Value.GetProperty(RewardKinds.Name(kind)).GetProperty("input_ids"));
        Assert.Equal(padId, expected[^1]);
        var tokenizer = ClipTokenizer.FromFolder(Path.Combine(zoo.Folders[kind], "tokenizer"), 77);
        Assert.Equal(expected, tokenizer.Encode(RewardTestData.ClipPrompt).Ids);
    }

    [Fact]
    public void Hpsv2_text_features_equal_open_clip_encode_text()
    {
        using var reward = zoo.Load(RewardKind.HpsV2);
        var features = reward.EncodePrompt(RewardTestData.ClipPrompt).Inputs.Single();
        Assert.Equal("text_embeds", features.Name);
        Assert.Equal([1L, 32], features.Shape);
        AssertClose(Floats(Reference.Value.GetProperty("hpsv2").GetProperty("text_embeds")), (float[])features.Data, 2e-5, "text_embeds");
    }
}
