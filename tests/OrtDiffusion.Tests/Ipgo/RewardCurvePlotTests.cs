using System.Globalization;
using System.Xml.Linq;
using OrtDiffusion.Ipgo;

namespace OrtDiffusion.Tests.Ipgo;

public sealed class RewardCurvePlotTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void The_svg_is_well_formed_and_maps_epochs_and_rewards_to_the_plot_area()
    {
        double[] rewards = [5.20, 5.25, 5.23, 5.31];
        var doc = XDocument.Parse(RewardCurvePlot.ToSvg(rewards, "cat & <aesthetic>"));
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        Assert.Equal("cat & <aesthetic>", doc.Root.Element(Svg + "title")!.Value);

        var curve = Points(doc, "reward");
        Assert.Equal(4, curve.Length);
        Assert.True(curve.Zip(curve.Skip(1)).All(p => p.First.X < p.Second.X), "epochs run left to right");
        Assert.Equal(72, curve[0].X, 3);          // the left margin
        Assert.Equal(640 - 24, curve[^1].X, 3);   // the right margin
        // Higher reward is higher on the page (smaller y); y is linear in the reward.
        Assert.True(curve[3].Y < curve[1].Y && curve[1].Y < curve[2].Y && curve[2].Y < curve[0].Y);
        var slope = (curve[1].Y - curve[0].Y) / (rewards[1] - rewards[0]);
        Assert.Equal(curve[0].Y + (slope * (rewards[3] - rewards[0])), curve[3].Y, 1);

        // Best so far: 5.20, 5.25, 5.25, 5.31.
        var best = Points(doc, "best");
        Assert.Equal(best[1].Y, best[2].Y, 3);
        Assert.Equal(curve[3].Y, best[3].Y, 3);
    }

    [Fact]
    public void Ticks_are_nice_and_cover_the_data_and_bad_input_is_refused()
    {
        var (low, high, step) = RewardCurvePlot.Ticks(5.2143, 5.2339);
        Assert.Equal(0.005, step, 12);
        Assert.True(low <= 5.2143 && high >= 5.2339 && low > 5.20 && high < 5.24);
        var single = XDocument.Parse(RewardCurvePlot.ToSvg([1.5], "one"));
        Assert.Single(Points(single, "reward"));
        Assert.Throws<ArgumentException>(() => RewardCurvePlot.ToSvg([], "none"));
        Assert.Throws<ArgumentException>(() => RewardCurvePlot.ToSvg([1, double.NaN], "nan"));
    }

    private static (double X, double Y)[] Points(XDocument doc, string id) =>
        [.. doc.Descendants(Svg + "polyline").Single(e => (string?)e.Attribute("id") == id).Attribute("points")!.Value
            .Split(' ').Select(p => p.Split(',')).Select(p => (double.Parse(p[0], CultureInfo.InvariantCulture), double.Parse(p[1], CultureInfo.InvariantCulture)))];
}
