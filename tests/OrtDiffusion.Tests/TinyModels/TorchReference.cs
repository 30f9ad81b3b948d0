using System.Text.Json;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>The fixtures Reference/zoo_torch_reference.py writes, and its input generator.</summary>
internal static class TorchReference
{
    private static readonly Lazy<JsonElement> Zoo = new(() => Load("zoo_torch_expected.json"));
    private static readonly Lazy<JsonElement> Preprocess = new(() => Load("preprocess_torch_expected.json"));

    public static JsonElement Expected => Zoo.Value;

    public static JsonElement PreprocessExpected => Preprocess.Value;

    /// <summary><c>offset + scale · sin(a·i + b)</c> in double, cast to float: the script's <c>wave</c>.</summary>
    public static float[] Wave(int count, double a, double b, double scale, double offset) =>
        Enumerable.Range(0, count).Select(i => (float)(offset + (scale * Math.Sin((a * i) + b)))).ToArray();

    public static float[] Floats(JsonElement e) => e.EnumerateArray().Select(v => v.GetSingle()).ToArray();

    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(v => v.GetInt32()).ToArray();

    /// <summary>Asserts element-wise agreement to <paramref name="tolerance"/> (absolute, relative above 1).</summary>
    public static void AssertClose(float[] expected, float[] actual, double tolerance, string what)
    {
        Assert.True(expected.Length == actual.Length, $"{what}: {actual.Length} values, expected {expected.Length}");
        for (var i = 0; i < expected.Length; i++)
        {
            var allowed = tolerance * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(Math.Abs(expected[i] - actual[i]) <= allowed, $"{what}[{i}]: {actual[i]} vs torch {expected[i]}");
        }
    }

    private static JsonElement Load(string name) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "tinymodels", name))).RootElement;
}
