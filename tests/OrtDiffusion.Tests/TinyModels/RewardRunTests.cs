using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels;
using OrtDiffusion.TinyModels.Tokenizer;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>The zoo's rewards run in ONNX Runtime on images of any size and score in their real ranges.</summary>
[Collection(ZooCollection.Name)]
public sealed class RewardRunTests(ZooFixture zoo)
{
    private float[] TextEmbeds(int batch)
    {
        var eos = TinyClipVocabulary.Default.Size - 1;
        var ids = new int[batch * 77];
        Array.Fill(ids, eos);
        for (var b = 0; b < batch; b++)
        {
            ids[b * 77] = eos - 1;
            ids[(b * 77) + 1] = 320 + b;
            ids[(b * 77) + 2] = 541;
        }

        using var text = new ModelRunner(zoo.Reward(RewardKind.Clip, "text_model.onnx"));
        var embeds = text.Ids("input_ids", ids, batch, 77).Run()["text_embeds"];
        Assert.Equal([batch, 32L], embeds.Shape);
        return embeds.Values;
    }

    [Fact]
    public void Text_tower_returns_unit_vectors()
    {
        var embeds = TextEmbeds(2);
        for (var b = 0; b < 2; b++)
        {
            Assert.Equal(1.0, Math.Sqrt(embeds.Skip(b * 32).Take(32).Sum(v => (double)v * v)), 5);
        }
    }

    [Theory]
    [InlineData(64, 64)]
    [InlineData(48, 80)]
    [InlineData(80, 48)]
    [InlineData(512, 512)]
    public void Clip_score_is_a_cosine_for_any_image_size_and_broadcasts_one_prompt(int height, int width)
    {
        var images = TestData.Uniform(2 * 3 * height * width, height + width);
        var embeds = TextEmbeds(2);
        using var model = new ModelRunner(zoo.Reward(RewardKind.Clip));
        var one = model.Float("images", images, 2, 3, height, width).Float("text_embeds", embeds[..32], 1, 32).Run()["score"];
        Assert.Equal([2L], one.Shape);
        Assert.All(one.Values, s => Assert.InRange(s, -1f, 1f));

        var same = model.Float("images", images, 2, 3, height, width).Float("text_embeds", [.. embeds[..32], .. embeds[..32]], 2, 32).Run()["score"];
        Assert.Equal(one.Values, same.Values);
        var other = model.Float("images", images, 2, 3, height, width).Float("text_embeds", embeds, 2, 32).Run()["score"];
        Assert.Equal(one.Values[0], other.Values[0]);
        Assert.NotEqual(one.Values[1], other.Values[1]);
    }

    [Theory]
    [InlineData(64, 64)]
    [InlineData(48, 80)]
    [InlineData(512, 512)]
    public void Aesthetic_scores_sit_where_laion_aesthetic_scores_do(int height, int width)
    {
        using var model = new ModelRunner(zoo.Reward(RewardKind.Aesthetic));
        var scores = model.Float("images", TestData.Uniform(2 * 3 * height * width, 5), 2, 3, height, width).Run()["score"];
        Assert.Equal([2L], scores.Shape);
        Assert.All(scores.Values, s => Assert.InRange(s, 2f, 9f));
        Assert.NotEqual(scores.Values[0], scores.Values[1]);
    }

    [Fact]
    public void Clip_score_of_a_differently_scaled_copy_is_nearly_unchanged()
    {
        // The same picture at 64×64 and at 128×128 (each pixel repeated 2×2) resizes to nearly the same 32×32 crop.
        var small = TestData.Uniform(3 * 64 * 64, 17);
        var large = new float[3 * 128 * 128];
        for (var c = 0; c < 3; c++)
        {
            for (var y = 0; y < 128; y++)
            {
                for (var x = 0; x < 128; x++)
                {
                    large[(c * 128 * 128) + (y * 128) + x] = small[(c * 64 * 64) + (y / 2 * 64) + (x / 2)];
                }
            }
        }

        var embeds = TextEmbeds(1);
        using var model = new ModelRunner(zoo.Reward(RewardKind.Clip));
        var a = model.Float("images", small, 1, 3, 64, 64).Float("text_embeds", embeds, 1, 32).Run()["score"].Values[0];
        var b = model.Float("images", large, 1, 3, 128, 128).Float("text_embeds", embeds, 1, 32).Run()["score"].Values[0];
        Assert.InRange(Math.Abs(a - b), 0, 0.05);
    }
}
