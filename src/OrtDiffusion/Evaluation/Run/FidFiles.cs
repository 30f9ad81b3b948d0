using System.Text.Json;
using OrtDiffusion.IO;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// The FID files of a run folder: per-item features (<c>features/&lt;method&gt;/&lt;stem&gt;.npy</c>), per-method
/// moments (<c>stats/&lt;method&gt;.npz</c>: n, sum, sum_outer, mu, sigma) and the reference statistics
/// (<c>fid_reference.npz</c>, with <c>fid_reference.json</c> naming where they came from).
/// </summary>
internal static class FidFiles
{
    public const string ReferenceFile = "fid_reference.npz";
    public const string ReferenceSourceFile = "fid_reference.json";

    public static string StatsPath(string folder, string label) => Path.Combine(folder, "stats", label + ".npz");

    /// <summary>Per-method moments of the items' features, added in item order (so equal items give equal bits).</summary>
    public static Dictionary<string, FeatureMoments> Moments(string folder, IReadOnlyList<ItemResult> items, IReadOnlyList<string> labels)
    {
        var moments = new Dictionary<string, FeatureMoments>(StringComparer.Ordinal);
        foreach (var item in items.OrderBy(i => i.Index))
        {
            if (item.Features is null)
            {
                throw new InvalidDataException($"'{folder}': item {item.Key} has no FID features although the run collects them.");
            }

            var path = Path.Combine(folder, item.Features);
            var features = NpyFile.Read(path).ToFloat32();
            if (!moments.TryGetValue(item.Method, out var m))
            {
                moments[item.Method] = m = new FeatureMoments(features.Length);
            }

            try
            {
                m.Add(features);
            }
            catch (ArgumentException e)
            {
                throw new InvalidDataException($"'{path}': {e.Message}", e);
            }
        }

        return labels.Where(moments.ContainsKey).ToDictionary(l => l, l => moments[l], StringComparer.Ordinal);
    }

    public static void SaveMoments(string folder, IReadOnlyDictionary<string, FeatureMoments> moments)
    {
        Directory.CreateDirectory(Path.Combine(folder, "stats"));
        foreach (var (label, m) in moments)
        {
            m.Save(StatsPath(folder, label));
        }
    }

    /// <summary>
    /// The reference statistics for <paramref name="source"/>: the folder's cached copy when it was made from the same
    /// source, else loaded (an .npz) or computed (a folder of PNGs, with the extractor <paramref name="extractor"/> opens) and cached.
    /// </summary>
    public static GaussianStatistics Reference(string folder, string source, Func<FidFeatureExtractor> extractor, CancellationToken cancellation)
    {
        var full = Path.GetFullPath(source);
        var cache = Path.Combine(folder, ReferenceFile);
        var note = Path.Combine(folder, ReferenceSourceFile);
        if (File.Exists(cache) && File.Exists(note) && CachedSource(note) == full)
        {
            return GaussianStatistics.Load(cache);
        }

        GaussianStatistics statistics;
        if (Directory.Exists(full))
        {
            using var network = extractor();
            statistics = FidReference.Load(full, network, cancellation: cancellation);
        }
        else
        {
            statistics = FidReference.Load(full, null, cancellation: cancellation);
        }

        statistics.Save(cache);
        AtomicFile.WriteAllText(note, JsonSerializer.Serialize(new { source = full, images = statistics.Count }) + "\n");
        return statistics;
    }

    private static string? CachedSource(string note)
    {
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(note));
            return doc.RootElement.TryGetProperty("source", out var s) ? s.GetString() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
