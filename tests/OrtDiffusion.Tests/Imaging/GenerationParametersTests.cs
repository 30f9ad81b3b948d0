using System.Globalization;
using System.Text.Json;
using FsCheck;
using FsCheck.Fluent;
using OrtDiffusion.Imaging;

namespace OrtDiffusion.Tests.Imaging;

/// <summary>
/// GenerationParameters against AUTOMATIC1111's own rules (create_infotext, quote/unquote and
/// parse_generation_parameters, re-implemented in Fixtures/imaging/make_png_fixtures.py, which
/// wrote parameters_cases.json).
/// </summary>
public class GenerationParametersTests
{
    private sealed record Case(string Prompt, string Negative, Dictionary<string, string> Params, string Text, Dictionary<string, string> Parsed);

    private static List<Case> LoadCases()
    {
        var json = File.ReadAllText(ImagingFixtures.Path("parameters_cases.json"));
        var doc = JsonDocument.Parse(json);
        return doc.RootElement.EnumerateArray().Select(e => new Case(
            e.GetProperty("prompt").GetString()!,
            e.GetProperty("negative").GetString()!,
            e.GetProperty("params").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!),
            e.GetProperty("text").GetString()!,
            e.GetProperty("parsed").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!))).ToList();
    }

    public static TheoryData<int> CaseIndices() => new(Enumerable.Range(0, LoadCases().Count));

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void FormatsLikeAutomatic1111(int index)
    {
        var c = LoadCases()[index];
        Assert.Equal(c.Text, FromFixtureFields(c).Format());
    }

    [Theory]
    [MemberData(nameof(CaseIndices))]
    public void ParsesLikeAutomatic1111(int index)
    {
        var c = LoadCases()[index];
        var parsed = GenerationParameters.Parse(c.Text);
        Assert.Equal(c.Parsed["Prompt"], parsed.Prompt);
        Assert.Equal(c.Parsed["Negative prompt"], parsed.NegativePrompt);
        Assert.Equal(c.Parsed["Steps"], parsed.Steps?.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(c.Parsed["Sampler"], parsed.Sampler);
        Assert.Equal(double.Parse(c.Parsed["CFG scale"], CultureInfo.InvariantCulture), parsed.CfgScale);
        Assert.Equal(c.Parsed["Seed"], parsed.Seed?.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(c.Parsed["Size-1"], parsed.Width?.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(c.Parsed["Size-2"], parsed.Height?.ToString(CultureInfo.InvariantCulture));
        Assert.Equal(c.Parsed["Model"], parsed.Model);
        string[] known = ["Prompt", "Negative prompt", "Steps", "Sampler", "CFG scale", "Seed", "Size-1", "Size-2", "Model"];
        Assert.Equal(c.Parsed.Where(p => !known.Contains(p.Key)).ToList(), parsed.Extra);
        Assert.Equal(FromFixtureFields(c), parsed);
    }

    [Fact]
    public void RandomParametersRoundTrip()
    {
        var words = Gen.Elements("cat", "a photo", "(masterpiece:1.2)", "猫", "\"quoted\"", "x, y", "50%", "back\\slash", "tab\there");
        var line = Gen.Choose(1, 4).SelectMany(n => Gen.ArrayOf(words, n)).Select(w => string.Join(' ', w));
        var text = Gen.Choose(1, 3).SelectMany(n => Gen.ArrayOf(line, n)).Select(l => string.Join('\n', l));
        var extraValues = Gen.Elements("0.1", "a, b", "k: v", "line\nbreak", "\"q\"", "ünï", "");
        var parameters =
            from prompt in text
            from negative in Gen.OneOf(Gen.Constant(""), text)
            from steps in Gen.Choose(1, 1000)
            from sampler in Gen.Elements("DDIM", "PNDM", "LMS", "Euler", "DPM++ 2M")
            from cfgTenths in Gen.Choose(0, 300)
            from seed in Gen.Choose(0, int.MaxValue)
            from size in Gen.Elements((512, 512), (768, 512), (64, 96))
            from extra in Gen.ArrayOf(extraValues, 2)
            select new GenerationParameters
            {
                Prompt = prompt, NegativePrompt = negative, Steps = steps, Sampler = sampler,
                CfgScale = cfgTenths / 10.0, Seed = (ulong)seed * 3, Width = size.Item1, Height = size.Item2,
                Model = "m", Extra = [new("DATE rho", extra[0]), new("Note", extra[1])],
            };
        Prop.ForAll(Arb.From(parameters), p => Assert.Equal(p, GenerationParameters.Parse(p.Format()))).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void TextWithoutASettingsLineIsAllPrompt()
    {
        var parsed = GenerationParameters.Parse("just a prompt\nwith: one colon");
        Assert.Equal("just a prompt\nwith: one colon", parsed.Prompt);
        Assert.Null(parsed.Steps);
        Assert.Empty(parsed.Extra);
    }

    [Fact]
    public void UnparsableKnownValuesAreKeptAsExtras()
    {
        var parsed = GenerationParameters.Parse("p\nSteps: many, Sampler: DDIM, Seed: -1, Size: big");
        Assert.Null(parsed.Steps);
        Assert.Null(parsed.Seed);
        Assert.Equal("many", parsed.GetExtra("Steps"));
        Assert.Equal("-1", parsed.GetExtra("Seed"));
        Assert.Equal("big", parsed.GetExtra("Size"));
        Assert.Equal("DDIM", parsed.Sampler);
    }

    [Fact]
    public void KeysThatTheParserCouldNotReadBackAreRefused()
    {
        foreach (string key in new[] { "a", "k:v", "x,y", "line\nbreak", " leading", "trailing newline\n" })
        {
            var p = new GenerationParameters { Prompt = "p", Extra = [new(key, "1")] };
            var error = Assert.Throws<ArgumentException>(() => p.Format());
            Assert.Contains(key, error.Message);
        }
    }

    [Fact]
    public void CfgScaleIsWrittenAsPythonWritesAFloat()
    {
        Assert.Equal("7.0", GenerationParameters.FormatPythonFloat(7.0));
        Assert.Equal("7.5", GenerationParameters.FormatPythonFloat(7.5));
        Assert.Equal("0.1", GenerationParameters.FormatPythonFloat(0.1));
    }

    private static GenerationParameters FromFixtureFields(Case c)
    {
        string[] size = c.Params["Size"].Split('x');
        return new GenerationParameters
        {
            Prompt = c.Prompt,
            NegativePrompt = c.Negative,
            Steps = int.Parse(c.Params["Steps"], CultureInfo.InvariantCulture),
            Sampler = c.Params["Sampler"],
            CfgScale = double.Parse(c.Params["CFG scale"], CultureInfo.InvariantCulture),
            Seed = ulong.Parse(c.Params["Seed"], CultureInfo.InvariantCulture),
            Width = int.Parse(size[0], CultureInfo.InvariantCulture),
            Height = int.Parse(size[1], CultureInfo.InvariantCulture),
            Model = c.Params["Model"],
            Extra = c.Params.Where(p => p.Key is not ("Steps" or "Sampler" or "CFG scale" or "Seed" or "Size" or "Model")).ToList(),
        };
    }
}
