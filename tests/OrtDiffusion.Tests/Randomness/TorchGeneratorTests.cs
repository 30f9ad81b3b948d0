using OrtDiffusion.Randomness;

namespace OrtDiffusion.Tests.Randomness;

/// <summary>
/// TorchGenerator against values drawn by torch 1.13 itself (Debian's python3-torch, see
/// Fixtures/randomness/make_torch_noise.py). The tolerance is zero: every float must have the
/// same bits as torch's.
/// </summary>
public class TorchGeneratorTests
{
    public static TheoryData<string, string> FloatCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var c in TorchNoiseFixtures.Cases.Where(c => c.Op is "randn" or "rand" or "mixed"))
            data.Add(c.Capability, c.Name);
        return data;
    }

    [Theory]
    [MemberData(nameof(FloatCases))]
    public void FloatDrawsMatchTorchBitForBit(string capability, string name)
    {
        var c = TorchNoiseFixtures.Get(capability, name);
        var kernel = capability == "avx2" ? TorchNormalKernel.Avx2 : TorchNormalKernel.Scalar;
        var generator = new TorchGenerator(c.Seed, kernel);

        // The same sequence of calls on one generator as the script made.
        var actual = new List<float>();
        for (int i = 0; i < c.Sizes.Length; i++)
        {
            bool normal = c.Op == "randn" || (c.Op == "mixed" && i % 2 == 1);
            actual.AddRange(normal ? generator.Randn(c.Sizes[i]) : generator.Rand(c.Sizes[i]));
        }

        float[] expected = TorchNoiseFixtures.Expected<float>(c);
        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Assert.Fail($"{c}: element {i} is {actual[i]:R} but torch gave {expected[i]:R} " +
                            $"(bits {BitConverter.SingleToInt32Bits(actual[i]):X8} vs {BitConverter.SingleToInt32Bits(expected[i]):X8}).");
        }
    }

    [Theory]
    [InlineData("mt19937_s0")]
    [InlineData("mt19937_s42")]
    [InlineData("mt19937_s5489")]
    [InlineData("mt19937_s4294967295")]
    public void RawOutputsMatchNumpysMersenneTwister(string name)
    {
        // numpy.random.RandomState(seed) is an independent MT19937 with the same init_genrand
        // seeding; 1300 draws cross two state regenerations.
        var c = TorchNoiseFixtures.Get("any", name);
        var generator = new TorchGenerator(c.Seed);
        uint[] expected = TorchNoiseFixtures.Expected<long>(c).Select(v => checked((uint)v)).ToArray();
        uint[] actual = Enumerable.Range(0, expected.Length).Select(_ => generator.NextUInt32()).ToArray();
        Assert.Equal(expected, actual);
    }

    [Theory]
    [InlineData("random64_s42_n10")]
    [InlineData("random64_s12345678901234567890_n10")]
    public void Random64MatchesTorchRandomInt64(string name)
    {
        // torch's int64 random_() with no bounds returns random64() % 2**63.
        var c = TorchNoiseFixtures.Get("default", name);
        var generator = new TorchGenerator(c.Seed);
        long[] expected = TorchNoiseFixtures.Expected<long>(c);
        long[] actual = Enumerable.Range(0, expected.Length).Select(_ => (long)(generator.NextUInt64() % (1UL << 63))).ToArray();
        Assert.Equal(expected, actual);
    }

    [Fact]
    public void ManualSeedRestartsTheStreamAndDropsTheCachedNormal()
    {
        var generator = new TorchGenerator(42);
        float[] first = generator.Randn(3); // leaves the sine half of the second pair cached
        generator.ManualSeed(42);
        Assert.Equal(first, generator.Randn(3));
        Assert.Equal(42UL, generator.InitialSeed);
    }

    [Fact]
    public void CloneContinuesTheSameStreamIndependently()
    {
        var generator = new TorchGenerator(7);
        generator.Randn(5);
        var copy = generator.Clone();
        float[] a = generator.Randn(3);
        float[] b = copy.Randn(3);
        Assert.Equal(a, b);
        Assert.Equal(generator.Randn(40), copy.Randn(40));
    }

    [Fact]
    public void RandnShapeGivesTheProductOfItsDimensions()
    {
        var generator = new TorchGenerator(0);
        Assert.Equal(2 * 4 * 8 * 8, generator.Randn(2, 4, 8, 8).Length);
        Assert.Empty(generator.Randn(0, 3));
        var error = Assert.Throws<ArgumentException>(() => generator.Randn(2, -1));
        Assert.Contains("[2, -1]", error.Message);
    }

    [Fact]
    public void FillNormalMatchesRandnOfTheSameLength()
    {
        var a = new TorchGenerator(123);
        var b = new TorchGenerator(123);
        var span = new float[4 * 8 * 8];
        a.FillNormal(span);
        Assert.Equal(b.Randn(4, 8, 8), span);
    }
}
