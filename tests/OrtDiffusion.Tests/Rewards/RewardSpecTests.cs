using OrtDiffusion.Rewards;

namespace OrtDiffusion.Tests.Rewards;

/// <summary>The <c>DIR[=weight]</c> syntax of the CLI and DATE.</summary>
[Collection(RewardZooCollection.Name)]
public sealed class RewardSpecTests(RewardZooFixture zoo)
{
    [Theory]
    [InlineData("rewards/clip", "rewards/clip", 1f)]
    [InlineData("rewards/aesthetic=0.05", "rewards/aesthetic", 0.05f)]
    [InlineData("r=-2", "r", -2f)]
    [InlineData("/data/a=b/clip=1e-3", "/data/a=b/clip", 1e-3f)]
    public void Parse_splits_the_folder_and_the_weight(string text, string folder, float weight) =>
        Assert.Equal(new RewardSpec(folder, weight), RewardSpec.Parse(text));

    [Theory]
    [InlineData("", "empty")]
    [InlineData("=2", "no folder")]
    [InlineData("rewards/clip=heavy", "the weight 'heavy' is not a number")]
    [InlineData("rewards/clip=NaN", "must be finite")]
    public void Bad_specs_are_refused(string text, string expected) =>
        Assert.Contains(expected, Assert.Throws<FormatException>(() => RewardSpec.Parse(text)).Message);

    [Fact]
    public void A_folder_whose_name_contains_an_equals_sign_is_taken_whole()
    {
        using var dir = new TempFolder("spec");
        var odd = dir.File("clip=v2");
        Directory.CreateDirectory(odd);
        Assert.Equal(new RewardSpec(odd, 1f), RewardSpec.Parse(odd));
    }

    [Fact]
    public void Load_gives_the_reward_itself_for_one_unweighted_spec_and_a_weighted_sum_otherwise()
    {
        using (var one = RewardSpec.Load([zoo.Folders[RewardKind.Clip]]))
        {
            Assert.IsType<ClipScore>(one);
        }

        using (var scaled = RewardSpec.Load([zoo.Folders[RewardKind.Clip] + "=2"]))
        {
            Assert.Equal("clip=2", Assert.IsType<WeightedReward>(scaled).Name);
        }

        using var sum = Assert.IsType<WeightedReward>(RewardSpec.Load([zoo.Folders[RewardKind.Clip], zoo.Folders[RewardKind.Aesthetic] + "=0.05"]));
        Assert.Equal([(RewardKind.Clip, 1f), (RewardKind.Aesthetic, 0.05f)], sum.Terms.Select(t => (((RewardModel)t.Reward).Kind, t.Weight)));
        Assert.Throws<DirectoryNotFoundException>(() => RewardSpec.Load([zoo.Folders[RewardKind.Clip], "/no/such/reward=1"]));
    }
}
