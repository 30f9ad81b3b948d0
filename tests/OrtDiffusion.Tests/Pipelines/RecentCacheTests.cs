using OrtDiffusion.Pipelines;
using OrtDiffusion.Tests.TinyModels;

namespace OrtDiffusion.Tests.Pipelines;

[Collection(ZooCollection.Name)]
public sealed class RecentCacheTests(ZooFixture zoo)
{
    [Fact]
    public void Keeps_the_most_recently_used_entries_and_creates_each_value_once_while_kept()
    {
        var created = new List<string>();
        var cache = new RecentCache<string, int>(2);
        int Get(string key) => cache.GetOrAdd(key, k => { created.Add(k); return k.Length; });

        Assert.Equal(1, Get("a"));
        Assert.Equal(2, Get("bb"));
        Assert.Equal(1, Get("a"));    // hit; "a" is now the most recent
        Assert.Equal(3, Get("ccc"));  // evicts "bb", the least recently used
        Assert.Equal(2, cache.Count);
        Assert.Equal(1, Get("a"));    // still kept
        Assert.Equal(2, Get("bb"));   // created again
        Assert.Equal(["a", "bb", "ccc", "bb"], created);
    }

    [Fact]
    public void A_pipeline_keeps_a_bounded_number_of_prompt_encodings()
    {
        using var pipeline = StableDiffusionPipeline.Load(zoo.StableDiffusion);
        var first = pipeline.EncodePrompt("prompt 0");
        Assert.Same(first, pipeline.EncodePrompt("prompt 0"));
        for (var i = 1; i <= StableDiffusionPipeline.PromptCacheSize; i++)
        {
            pipeline.EncodePrompt($"prompt {i}");
        }

        // "prompt 0" fell out of the cache: encoded anew, with the same values.
        var again = pipeline.EncodePrompt("prompt 0");
        Assert.NotSame(first, again);
        Assert.Equal(first.Embedding.Data, again.Embedding.Data);
    }
}
