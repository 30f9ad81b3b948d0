using System.Text.Json;

namespace OrtDiffusion.Tests.Text;

/// <summary>Reads the committed fixtures under <c>Fixtures/text/</c>.</summary>
internal static class TextFixtures
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "Fixtures", "text");

    public static string PathOf(string name) => Path.Combine(Dir, name);

    public static JsonElement Json(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(PathOf(name)));
        return doc.RootElement.Clone();
    }

    public static int[] Ints(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    public static string[] Strings(JsonElement e) => e.EnumerateArray().Select(x => x.GetString()!).ToArray();

    /// <summary>A fresh empty folder under the system temp folder, removed by the caller.</summary>
    public static string TempFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "ortdiffusion-text-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }
}
