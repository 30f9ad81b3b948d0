using System.Text.Json;

namespace OrtDiffusion.Tests.Runtime;

/// <summary>
/// The models written by Fixtures/runtime/make_runtime_fixtures.py and the values numpy computed for them
/// (expected.json). Nothing here comes from our own C# code.
/// </summary>
internal static class RuntimeFixtures
{
    private static readonly Lazy<JsonElement> Expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "expected.json"))).RootElement);

    public static string Directory => Path.Combine(AppContext.BaseDirectory, "Fixtures", "runtime");

    public static string Model(string fileName) => Path.Combine(Directory, fileName);

    public static float[] Floats(string model, string key) => Array(model, key, e => e.GetSingle());

    public static double[] Doubles(string model, string key) => Array(model, key, e => e.GetDouble());

    public static int[] Ints(string model, string key) => Array(model, key, e => e.GetInt32());

    public static long[] Longs(string model, string key) => Array(model, key, e => e.GetInt64());

    public static bool[] Bools(string model, string key) => Array(model, key, e => e.GetBoolean());

    public static Half[] HalfBits(string model, string key) =>
        Array(model, key, e => BitConverter.UInt16BitsToHalf(e.GetUInt16()));

    private static T[] Array<T>(string model, string key, Func<JsonElement, T> read) =>
        Expected.Value.GetProperty(model).GetProperty(key).EnumerateArray().Select(read).ToArray();
}
