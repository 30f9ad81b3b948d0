using OrtDiffusion.Date;
using OrtDiffusion.Evaluation;
using OrtDiffusion.Models;

namespace OrtDiffusion.Tests.Evaluation;

public sealed class ParserTests
{
    [Theory]
    [InlineData("0,1,2", new ulong[] { 0, 1, 2 })]
    [InlineData("0-4", new ulong[] { 0, 1, 2, 3, 4 })]
    [InlineData(" 7 , 2-3,10", new ulong[] { 7, 2, 3, 10 })]
    [InlineData("5-5", new ulong[] { 5 })]
    [InlineData("18446744073709551615", new ulong[] { ulong.MaxValue })]
    public void Seeds_parse_lists_and_inclusive_ranges(string text, ulong[] expected) => Assert.Equal(expected, SeedList.Parse(text));

    [Theory]
    [InlineData("", "Give seeds")]
    [InlineData("1,,2", "empty item")]
    [InlineData("1,", "empty item")]
    [InlineData("-1", "negative")]
    [InlineData("3-1", "runs backwards")]
    [InlineData("a", "'a' in 'a' is not a non-negative integer")]
    [InlineData("1-x", "'x' in '1-x'")]
    [InlineData("1,2,1", "seed 1 is given twice")]
    [InlineData("0-1,1-3", "seed 1 is given twice")]
    [InlineData("0-99999999999", "more than")]
    public void Bad_seeds_say_what_is_wrong(string text, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => SeedList.Parse(text)).Message);

    [Fact]
    public void Seed_lists_format_back_to_ranges()
    {
        Assert.Equal("0-3,7,9-10", SeedList.Format([0, 1, 2, 3, 7, 9, 10]));
        Assert.Equal([0UL, 1, 2, 3, 7, 9, 10], SeedList.Parse(SeedList.Format([0, 1, 2, 3, 7, 9, 10])));
    }

    [Theory]
    [InlineData("0/1", 0, 1)]
    [InlineData("2/8", 2, 8)]
    [InlineData(" 3 / 4 ", 3, 4)]
    public void Shards_parse(string text, int index, int count) => Assert.Equal(new ShardSpec(index, count), ShardSpec.Parse(text));

    [Theory]
    [InlineData("1")]
    [InlineData("1/")]
    [InlineData("a/2")]
    [InlineData("2/2")]
    [InlineData("0/0")]
    [InlineData("-1/2")]
    [InlineData("1/2/3")]
    public void Bad_shards_are_refused(string text) => Assert.Throws<FormatException>(() => ShardSpec.Parse(text));

    [Fact]
    public void Shard_slices_are_contiguous_disjoint_and_cover_every_item()
    {
        foreach (var total in new long[] { 0, 1, 7, 8, 100 })
        {
            foreach (var n in new[] { 1, 3, 8, 11 })
            {
                var covered = new List<long>();
                for (var i = 0; i < n; i++)
                {
                    var (start, count) = new ShardSpec(i, n).Slice(total);
                    Assert.InRange(count, total / n, (total / n) + 1); // balanced
                    covered.AddRange(Enumerable.Range((int)start, (int)count).Select(k => (long)k));
                }

                Assert.Equal(Enumerable.Range(0, (int)total).Select(k => (long)k), covered);
            }
        }
    }

    [Fact]
    public void The_plan_orders_items_by_prompt_then_seed_then_method()
    {
        var plan = new EvaluationPlan(12, [5, 9], ["fixed", "date"]);
        Assert.Equal(48, plan.Count);
        Assert.Equal(new WorkItem(0, 0, 5, 0), plan[0]);
        Assert.Equal(new WorkItem(1, 0, 5, 1), plan[1]);
        Assert.Equal(new WorkItem(2, 0, 9, 0), plan[2]);
        Assert.Equal(new WorkItem(47, 11, 9, 1), plan[47]);
        Assert.Equal("date/03-9", plan.Key(plan[15]));
        Assert.Equal("images/date/03-9.png", plan.ImagePath(plan[15]));
    }

    [Fact]
    public void Method_specs_parse_names_options_flags_and_labels()
    {
        var spec = MethodSpec.Parse("DATE: every=10, rho=0.5, reward=rewards/clip=1+/x/aesthetic=0.05, init-org");
        Assert.Equal("date", spec.Name);
        Assert.Equal("10", spec.Get("every"));
        Assert.Equal("rewards/clip=1+/x/aesthetic=0.05", spec.Get("reward"));
        Assert.True(spec.GetFlag("init-org"));
        Assert.Equal(0.5f, spec.GetFloat("rho", 0));
        Assert.Equal("date-every10-rho0.5-clipx1+aestheticx0.05-init-org", spec.Label);
        Assert.Equal("fixed", MethodSpec.Parse("fixed").Label);
        Assert.Equal("mine", MethodSpec.Parse("date:reward=r,label=mine").Label);
        Assert.Equal("date-steps0_5", MethodSpec.Parse("date:steps=0;5").Label);
    }

    [Theory]
    [InlineData("", "empty value")]
    [InlineData(":a=1", "is not a method name")]
    [InlineData("da te", "is not a method name")]
    [InlineData("date:", "nothing after ':'")]
    [InlineData("date:rho=1,,every=2", "an empty option")]
    [InlineData("date:=3", "has no key")]
    [InlineData("date:rho=", "'rho' has an empty value")]
    [InlineData("date:rho=1,rho=2", "'rho' is given twice")]
    [InlineData("date:label=a/b", "label 'a/b' may hold only")]
    [InlineData("date:label=..", "label '..' may hold only")]
    public void Bad_method_specs_say_what_is_wrong(string text, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => MethodSpec.Parse(text)).Message);

    [Theory]
    [InlineData("magic", "unknown method 'magic'; known: fixed; date:reward=DIR")]
    [InlineData("fixed:rho=1", "unknown option 'rho'; fixed takes none besides label")]
    [InlineData("date:every=10", "DATE needs reward=DIR")]
    [InlineData("date:reward=r,rh=1", "unknown option 'rh'; date takes reward, every, steps, rho")]
    [InlineData("date:reward=r,rho=abc", "rho=abc is not a number")]
    [InlineData("date:reward=r,rho=-1", "ρ must be")]
    [InlineData("date:reward=r,every=0", "interval must be at least 1")]
    [InlineData("date:reward=r,every=2,steps=1", "every= or steps=, not both")]
    [InlineData("date:reward=r,steps=1;x", "'x' is not a step index")]
    [InlineData("date:reward=r,grad-steps=1.5", "is not a whole number")]
    [InlineData("date:reward=r,init-org=maybe", "is not true or false")]
    [InlineData("date:reward=a+", "an empty reward")]
    public void The_registry_rejects_unknown_methods_and_bad_options_before_loading_anything(string text, string message)
    {
        var registry = EvaluationMethodRegistry.CreateDefault();
        var e = Assert.Throws<FormatException>(() => registry.Create(MethodSpec.Parse(text), ExecutionOptions.Default));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Date_options_reach_the_method()
    {
        // A real reward folder is needed to finish creating the method; the options are checked on the parsed object.
        using var dir = new TempFolder();
        var zoo = OrtDiffusion.TinyModels.TinyZoo.WriteReward(dir.File("clip"), OrtDiffusion.Rewards.RewardKind.Clip);
        using var method = (DateMethod)EvaluationMethodRegistry.CreateDefault().Create(MethodSpec.Parse($"date:reward={zoo},steps=0;3,rho=0.25,init-org,prior=0.1,grad-steps=2"), ExecutionOptions.Default);
        Assert.Equal(0.25f, method.Options.Rho);
        Assert.True(method.Options.InitFromOriginal);
        Assert.Equal(0.1f, method.Options.PriorWeight);
        Assert.Equal(2, method.Options.GradientSteps);
        Assert.True(method.Options.Schedule.Updates(3, 10));
        Assert.False(method.Options.Schedule.Updates(1, 10));
        using var single = (DateMethod)EvaluationMethodRegistry.CreateDefault().Create(MethodSpec.Parse($"date:reward={zoo},steps=4"), ExecutionOptions.Default);
        Assert.True(single.Options.Schedule.Updates(4, 50));
        Assert.False(single.Options.Schedule.Updates(8, 50)); // a single index, not "every 4"
        using var defaults = (DateMethod)EvaluationMethodRegistry.CreateDefault().Create(MethodSpec.Parse($"date:reward={zoo}"), ExecutionOptions.Default);
        Assert.Equal(DateSchedule.Every(10).Description, defaults.Options.Schedule.Description);
        Assert.Equal(0.1f, defaults.Options.Rho);
    }

    [Fact]
    public void A_registered_method_is_created_by_name()
    {
        var registry = EvaluationMethodRegistry.CreateDefault();
        registry.Register("echo", (spec, _) => new EchoMethod(spec), "echo");
        using var method = registry.Create(MethodSpec.Parse("echo:label=e"), ExecutionOptions.Default);
        Assert.Equal("e", method.Spec.Label);
        Assert.Contains("echo", registry.Names);
    }

    private sealed class EchoMethod(MethodSpec spec) : IEvaluationMethod
    {
        public MethodSpec Spec { get; } = spec;

        public MethodSample Generate(EvaluationBackbone backbone, OrtDiffusion.Pipelines.GenerationRequest request, CancellationToken cancellation) =>
            throw new NotSupportedException();

        public void Dispose()
        {
        }
    }
}
