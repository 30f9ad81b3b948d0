using System.Text.Json;
using OrtDiffusion.Text;

namespace OrtDiffusion.Tests.Text;

/// <summary>
/// The ICU-free NFD against Python's unicodedata.normalize("NFD") (Fixtures/text/nfd.json,
/// make_unicode_fixtures.py): every code point NFD changes (Hangul sampled) and mark sequences
/// that need canonical reordering.
/// </summary>
public sealed class CanonicalDecompositionTests
{
    static readonly JsonElement Fixture = TextFixtures.Json("nfd.json");

    [Fact]
    public void EveryDecomposableCodePoint_MatchesPython()
    {
        var wrong = new List<string>();
        foreach (var e in Fixture.GetProperty("code_points").EnumerateArray())
        {
            int cp = e[0].GetInt32();
            if (CanonicalDecomposition.ToNfd(char.ConvertFromUtf32(cp)) != e[1].GetString()) wrong.Add($"U+{cp:X4}");
        }
        Assert.True(Fixture.GetProperty("code_points").GetArrayLength() > 2000);
        Assert.Empty(wrong);
    }

    [Fact]
    public void MarkSequences_AreCanonicallyOrdered()
    {
        foreach (var e in Fixture.GetProperty("sequences").EnumerateArray())
            Assert.Equal(e[1].GetString(), CanonicalDecomposition.ToNfd(e[0].GetString()!));
    }

    [Fact]
    public void TextWithoutDecompositions_IsUnchanged()
    {
        Assert.Equal("plain ASCII, 日本語, 🐱", CanonicalDecomposition.ToNfd("plain ASCII, 日本語, 🐱"));
    }
}
