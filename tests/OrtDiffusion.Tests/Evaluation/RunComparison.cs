using System.Text.Json;
using OrtDiffusion.Evaluation;

namespace OrtDiffusion.Tests.Evaluation;

/// <summary>Asserts that two run folders hold the same evaluation: items, images, features, metrics, FID.</summary>
internal static class RunComparison
{
    public static IReadOnlyList<ItemResult> Items(string folder) =>
        [.. ResultsLog.Open(Path.Combine(folder, ResultsLog.FileName), repair: false).Latest().OrderBy(i => i.Index)];

    /// <summary>Every item equal (wall time aside), images and features byte for byte; summary metrics equal, FID to 1e-9 relative.</summary>
    public static void AssertSame(string expectedFolder, string actualFolder)
    {
        var expected = Items(expectedFolder);
        var actual = Items(actualFolder);
        Assert.Equal(expected.Select(i => i.Key), actual.Select(i => i.Key));
        foreach (var (e, a) in expected.Zip(actual))
        {
            Assert.Equal((e.Index, e.Prompt, e.Seed, e.Method, e.UnetCalls), (a.Index, a.Prompt, a.Seed, a.Method, a.UnetCalls));
            Assert.Equal(e.Metrics, a.Metrics);
            Assert.Equal(e.Trace?.Steps, a.Trace?.Steps);
            Assert.Equal(e.Trace?.Values, a.Trace?.Values);
            Assert.True(
                File.ReadAllBytes(Path.Combine(expectedFolder, e.Image)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actualFolder, a.Image))),
                $"image of {e.Key} differs");
            Assert.True(
                File.ReadAllBytes(Path.Combine(expectedFolder, e.Features!)).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(actualFolder, a.Features!))),
                $"features of {e.Key} differ");
        }

        using var want = JsonDocument.Parse(File.ReadAllText(Path.Combine(expectedFolder, SummaryWriter.JsonFile)));
        using var got = JsonDocument.Parse(File.ReadAllText(Path.Combine(actualFolder, SummaryWriter.JsonFile)));
        var wantMethods = want.RootElement.GetProperty("methods").EnumerateArray().ToList();
        var gotMethods = got.RootElement.GetProperty("methods").EnumerateArray().ToList();
        Assert.Equal(wantMethods.Count, gotMethods.Count);
        foreach (var (w, g) in wantMethods.Zip(gotMethods))
        {
            Assert.Equal(w.GetProperty("method").GetString(), g.GetProperty("method").GetString());
            Assert.Equal(w.GetProperty("n").GetInt32(), g.GetProperty("n").GetInt32());
            foreach (var metric in w.GetProperty("metrics").EnumerateObject())
            {
                Assert.Equal(metric.Value.GetProperty("mean").GetDouble(), g.GetProperty("metrics").GetProperty(metric.Name).GetProperty("mean").GetDouble());
            }

            var wantFid = w.GetProperty("fid").GetProperty("value").GetDouble();
            var gotFid = g.GetProperty("fid").GetProperty("value").GetDouble();
            Assert.True(Math.Abs(wantFid - gotFid) <= 1e-9 * Math.Abs(wantFid), $"FID {gotFid:R} vs {wantFid:R}");
        }
    }
}
