using FsCheck;
using FsCheck.Fluent;
using OrtDiffusion.IO;

namespace OrtDiffusion.Tests.IO;

/// <summary>
/// NpyFile against files written by numpy 1.24 (Fixtures/io/make_npy_fixtures.py). The
/// expected arrays below are the literals that script saves.
/// </summary>
public class NpyFileTests
{
    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "io", name);

    /// <summary>The arrays the fixture script saves under each name, built from the same literals.</summary>
    public static NpyArray Expected(string name) => name switch
    {
        "f32_2x3.npy" or "f32_2x3_v2.npy" or "f32_2x3_v3.npy" => NpyArray.Create(new[] { 0.1f, -1.5f, 2.0f, 3.25f, -0.0f, 1e-8f }, 2, 3),
        "f16_4.npy" => NpyArray.Create(new[] { (Half)0.5, (Half)(-2.0), (Half)65504.0, (Half)0.0001 }, 4),
        "f64_2x2x2.npy" => NpyArray.Create(new[] { 0.1, 0.2, -0.3, 1e300, -1e-300, 2.5, 3.0, -4.0 }, 2, 2, 2),
        "i32_3.npy" => NpyArray.Create(new[] { int.MinValue, 0, int.MaxValue }, 3),
        "i64_2x3.npy" => NpyArray.Create(new[] { long.MinValue, -1, 0, 1, 2, long.MaxValue }, 2, 3),
        "u8_5.npy" => NpyArray.Create(new byte[] { 0, 1, 127, 128, 255 }, 5),
        "bool_4.npy" => NpyArray.Create(new[] { true, false, false, true }, 4),
        "f32_scalar.npy" => NpyArray.Create(new[] { 3.5f }),
        "f32_empty_0.npy" => NpyArray.Create(Array.Empty<float>(), 0),
        "f32_empty_2x0x3.npy" => NpyArray.Create(Array.Empty<float>(), 2, 0, 3),
        "u8_1000.npy" => NpyArray.Create(Enumerable.Range(0, 1000).Select(i => (byte)(i % 251)).ToArray(), 1000),
        "f32_1x4x8x8.npy" => NpyArray.Create(Enumerable.Range(0, 256).Select(i => i / 64f - 2f).ToArray(), 1, 4, 8, 8),
        _ => throw new ArgumentException(name),
    };

    public static TheoryData<string> ValidFiles() => new(
        "f32_2x3.npy", "f16_4.npy", "f64_2x2x2.npy", "i32_3.npy", "i64_2x3.npy", "u8_5.npy", "bool_4.npy",
        "f32_scalar.npy", "f32_empty_0.npy", "f32_empty_2x0x3.npy", "u8_1000.npy", "f32_1x4x8x8.npy",
        "f32_2x3_v2.npy", "f32_2x3_v3.npy");

    /// <summary>Files numpy writes with the default (1.0) header: ours must be byte-identical.</summary>
    public static TheoryData<string> Version1Files() => new(
        "f32_2x3.npy", "f16_4.npy", "f64_2x2x2.npy", "i32_3.npy", "i64_2x3.npy", "u8_5.npy", "bool_4.npy",
        "f32_scalar.npy", "f32_empty_0.npy", "f32_empty_2x0x3.npy", "u8_1000.npy", "f32_1x4x8x8.npy");

    [Theory]
    [MemberData(nameof(ValidFiles))]
    public void ReadsWhatNumpyWrote(string name)
    {
        var actual = NpyFile.Read(Fixture(name));
        var expected = Expected(name);
        AssertSame(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Version1Files))]
    public void WritesTheSameBytesAsNumpy(string name)
    {
        using var stream = new MemoryStream();
        NpyFile.Write(stream, Expected(name));
        Assert.Equal(File.ReadAllBytes(Fixture(name)), stream.ToArray());
    }

    [Theory]
    [InlineData("bad_fortran.npy", typeof(NotSupportedException), "Fortran")]
    [InlineData("bad_bigendian.npy", typeof(NotSupportedException), "big-endian")]
    [InlineData("bad_object.npy", typeof(NotSupportedException), "object")]
    [InlineData("bad_structured.npy", typeof(NotSupportedException), "structured")]
    [InlineData("bad_uint16.npy", typeof(NotSupportedException), "'<u2' is not supported")]
    [InlineData("bad_truncated_data.npy", typeof(InvalidDataException), "truncated")]
    [InlineData("bad_truncated_header.npy", typeof(InvalidDataException), "truncated")]
    [InlineData("bad_extra_data.npy", typeof(InvalidDataException), "do not match")]
    [InlineData("bad_magic.npy", typeof(InvalidDataException), "not a .npy file")]
    [InlineData("bad_version.npy", typeof(NotSupportedException), "version 4.0")]
    public void RefusesBadFilesNamingTheFileAndTheProblem(string name, Type exceptionType, string reason)
    {
        var error = Assert.Throws(exceptionType, () => NpyFile.Read(Fixture(name)));
        Assert.Contains(name, error.Message);
        Assert.Contains(reason, error.Message);
    }

    [Fact]
    public void MissingFileIsReportedWithItsPath()
    {
        var error = Assert.Throws<FileNotFoundException>(() => NpyFile.Read(Fixture("no_such_file.npy")));
        Assert.Contains("no_such_file.npy", error.Message);
    }

    [Fact]
    public void RoundTripsRandomArraysOfEveryElementType()
    {
        var shapes = Gen.Choose(0, 4).SelectMany(rank => Gen.ArrayOf(Gen.Choose(0, 4), rank));
        var arrays = shapes.SelectMany(shape => Gen.Choose(0, 6).SelectMany(type => RandomArray(type, shape.Select(d => (long)d).ToArray())));
        Prop.ForAll(Arb.From(arrays), array =>
        {
            using var stream = new MemoryStream();
            NpyFile.Write(stream, array);
            stream.Position = 0;
            var back = NpyFile.Read(stream, "memory");
            AssertSame(array, back);
            Assert.Equal(stream.Length, stream.Position);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void WritingToAPathIsAtomicAndReadable()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "latents.npy");
        var array = NpyArray.Create(new[] { 1f, 2f, 3f, 4f }, 1, 1, 2, 2);
        NpyFile.Write(path, array.GetData<float>(), 1, 1, 2, 2);
        AssertSame(array, NpyFile.Read(path));
        Assert.Equal(new[] { "latents.npy" }, Directory.GetFiles(folder.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void ToFloat32ConvertsEveryType()
    {
        Assert.Equal(new[] { 0.5f, -2f, 65504f, (float)(Half)0.0001 }, Expected("f16_4.npy").ToFloat32());
        Assert.Equal(new[] { 0.1f, 0.2f, -0.3f, float.PositiveInfinity, -0f, 2.5f, 3f, -4f }, Expected("f64_2x2x2.npy").ToFloat32());
        Assert.Equal(new[] { -2147483648f, 0f, 2147483647f }, Expected("i32_3.npy").ToFloat32());
        Assert.Equal(new[] { 0f, 1f, 127f, 128f, 255f }, Expected("u8_5.npy").ToFloat32());
        Assert.Equal(new[] { 1f, 0f, 0f, 1f }, Expected("bool_4.npy").ToFloat32());
        var f32 = Expected("f32_2x3.npy");
        Assert.Same(f32.GetData<float>(), f32.ToFloat32());
    }

    [Fact]
    public void CreateChecksTheShapeAndGetDataChecksTheType()
    {
        var shapeError = Assert.Throws<ArgumentException>(() => NpyArray.Create(new float[5], 2, 3));
        Assert.Contains("(2, 3)", shapeError.Message);
        Assert.Contains("5", shapeError.Message);
        var typeError = Assert.Throws<InvalidCastException>(() => Expected("i32_3.npy").GetData<float>());
        Assert.Contains("Int32", typeError.Message);
        Assert.Throws<NotSupportedException>(() => NpyArray.Create(new ushort[2], 2));
    }

    [Fact]
    public void ShapeTextFollowsPython()
    {
        Assert.Equal("()", Expected("f32_scalar.npy").ShapeText);
        Assert.Equal("(4,)", Expected("f16_4.npy").ShapeText);
        Assert.Equal("(2, 0, 3)", Expected("f32_empty_2x0x3.npy").ShapeText);
    }

    private static Gen<NpyArray> RandomArray(int type, long[] shape)
    {
        int n = (int)shape.Aggregate(1L, (a, b) => a * b);
        var bits = Gen.ArrayOf(Gen.Choose(int.MinValue, int.MaxValue), n);
        return type switch
        {
            0 => bits.Select(b => NpyArray.Create(b.Select(BitConverter.Int32BitsToSingle).ToArray(), shape)),
            1 => bits.Select(b => NpyArray.Create(b.Select(x => BitConverter.Int16BitsToHalf((short)x)).ToArray(), shape)),
            2 => bits.Select(b => NpyArray.Create(b.Select(x => BitConverter.Int64BitsToDouble(((long)x << 32) ^ (x * 2654435761L))).ToArray(), shape)),
            3 => bits.Select(b => NpyArray.Create(b, shape)),
            4 => bits.Select(b => NpyArray.Create(b.Select(x => ((long)x << 31) ^ x).ToArray(), shape)),
            5 => bits.Select(b => NpyArray.Create(b.Select(x => (byte)x).ToArray(), shape)),
            _ => bits.Select(b => NpyArray.Create(b.Select(x => (x & 1) == 1).ToArray(), shape)),
        };
    }

    /// <summary>Same shape, element type and elements (floats compared by their bits, so NaN and -0 count).</summary>
    internal static void AssertSame(NpyArray expected, NpyArray actual)
    {
        Assert.Equal(expected.ElementType, actual.ElementType);
        Assert.Equal(expected.Shape, actual.Shape);
        switch (expected.Data)
        {
            case float[] f:
                Assert.Equal(f.Select(BitConverter.SingleToInt32Bits), actual.GetData<float>().Select(BitConverter.SingleToInt32Bits));
                break;
            case Half[] h:
                Assert.Equal(h.Select(BitConverter.HalfToInt16Bits), actual.GetData<Half>().Select(BitConverter.HalfToInt16Bits));
                break;
            case double[] d:
                Assert.Equal(d.Select(BitConverter.DoubleToInt64Bits), actual.GetData<double>().Select(BitConverter.DoubleToInt64Bits));
                break;
            default:
                Assert.Equal(expected.Data, actual.Data);
                break;
        }
    }
}
