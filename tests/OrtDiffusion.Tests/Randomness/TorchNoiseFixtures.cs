using System.Text.Json;
using OrtDiffusion.IO;

namespace OrtDiffusion.Tests.Randomness;

/// <summary>
/// The reference draws made by Debian's torch 1.13 (Fixtures/randomness/make_torch_noise.py):
/// a manifest of cases and the .npy files holding their outputs.
/// </summary>
internal static class TorchNoiseFixtures
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "Fixtures", "randomness");

    public sealed record Case(string Name, string Capability, ulong Seed, string Op, int[] Sizes, string File, int Offset, int Count)
    {
        public override string ToString() => $"{Capability}/{Name}";
    }

    private static readonly Lazy<IReadOnlyList<Case>> s_cases = new(LoadCases);
    private static readonly Dictionary<string, NpyArray> s_files = new();

    public static IReadOnlyList<Case> Cases => s_cases.Value;

    public static Case Get(string capability, string name) =>
        Cases.Single(c => c.Capability == capability && c.Name == name);

    /// <summary>The expected outputs of one case.</summary>
    public static T[] Expected<T>(Case c) where T : unmanaged
    {
        NpyArray file;
        lock (s_files)
        {
            if (!s_files.TryGetValue(c.File, out file!))
                s_files[c.File] = file = NpyFile.Read(Path.Combine(Folder, c.File));
        }
        return file.GetData<T>().AsSpan(c.Offset, c.Count).ToArray();
    }

    private static IReadOnlyList<Case> LoadCases()
    {
        using var doc = JsonDocument.Parse(System.IO.File.ReadAllText(Path.Combine(Folder, "torch_noise_manifest.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(e => new Case(
            e.GetProperty("name").GetString()!,
            e.GetProperty("capability").GetString()!,
            ulong.Parse(e.GetProperty("seed").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            e.GetProperty("op").GetString()!,
            e.GetProperty("sizes").EnumerateArray().Select(x => x.GetInt32()).ToArray(),
            e.GetProperty("file").GetString()!,
            e.GetProperty("offset").GetInt32(),
            e.GetProperty("count").GetInt32())).ToList();
    }
}
