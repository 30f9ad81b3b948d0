using System.Text;
using System.Text.Json;
using OrtDiffusion.Text;

namespace OrtDiffusion.Tests.Text;

/// <summary>
/// PythonText against Python 3.11 itself: Fixtures/text/python_lower.json lists every code point
/// whose str.lower() changes it and every code point str.isspace() accepts (make_unicode_fixtures.py).
/// </summary>
public sealed class PythonTextTests
{
    static readonly JsonElement Fixture = TextFixtures.Json("python_lower.json");

    [Fact]
    public void Lower_MatchesPythonForEveryCodePoint()
    {
        var expected = new Dictionary<int, string>();
        foreach (var e in Fixture.GetProperty("lower_changed").EnumerateArray())
            expected[e[0].GetInt32()] = e[1].GetString()!;
        var unassigned = Fixture.GetProperty("unassigned_ranges").EnumerateArray()
            .Select(r => (r[0].GetInt32(), r[1].GetInt32())).ToArray();

        var wrong = new List<string>();
        for (int cp = 0; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            string s = char.ConvertFromUtf32(cp);
            string want = expected.TryGetValue(cp, out var l) ? l : s;
            string got = PythonText.ToLower(s);
            // Python 3.11 knows Unicode 14; code points it calls unassigned may have case in .NET's newer tables.
            if (got != want && !unassigned.Any(r => cp >= r.Item1 && cp <= r.Item2))
                wrong.Add($"U+{cp:X4}");
        }
        Assert.Empty(wrong);
    }

    [Theory]
    // Expected values: Python 3.11 "...".lower() (final sigma only at the end of a word).
    [InlineData("ΟΔΟΣ", "οδος")]
    [InlineData("ΟΔΟΣ ΣΑ", "οδος σα")]
    [InlineData("Σ", "σ")]
    [InlineData("ΑΣ.", "ας.")]
    [InlineData("ΑΣ'Α", "ασ'α")]
    [InlineData("İ", "i\u0307")]
    public void Lower_HandlesPythonsFullMappings(string input, string expected) =>
        Assert.Equal(expected, PythonText.ToLower(input));

    [Fact]
    public void IsSpace_MatchesPythonForEveryCodePoint()
    {
        var spaces = Fixture.GetProperty("isspace").EnumerateArray().Select(e => e.GetInt32()).ToHashSet();
        for (int cp = 0; cp < 0x110000; cp++)
        {
            if (cp is >= 0xD800 and <= 0xDFFF) continue;
            Assert.True(spaces.Contains(cp) == PythonText.IsPythonSpace(new Rune(cp)), $"U+{cp:X4}");
        }
    }

    [Fact]
    public void StripAndSplit_BehaveAsPython()
    {
        Assert.Equal("a \u001cb", PythonText.Strip("\u001c \u00a0a \u001cb\u3000\n"));
        Assert.Equal(["a", "b", "c"], PythonText.SplitOnWhitespace("  a\u2028b \u001f c "));
        Assert.Empty(PythonText.SplitOnWhitespace(" \t "));
    }
}
