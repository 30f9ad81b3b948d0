using System.Text.Json;

namespace OrtDiffusion.TinyModels.Layout;

/// <summary>
/// Writes a zoo folder all at once: the content is built in a hidden sibling folder, stamped, and renamed into
/// place, so readers never see a half-written model and concurrent builders of the same folder do not clash.
/// A folder whose stamp names the same zoo version and options is left untouched.
/// </summary>
internal static class ZooFolder
{
    public const string StampFileName = "tinyzoo.json";

    /// <summary>Whether <paramref name="folder"/> holds a complete build with this fingerprint.</summary>
    public static bool IsUpToDate(string folder, string fingerprint)
    {
        var stamp = Path.Combine(folder, StampFileName);
        if (!File.Exists(stamp))
        {
            return false;
        }

        try
        {
            using var document = JsonDocument.Parse(File.ReadAllText(stamp));
            var root = document.RootElement;
            return root.TryGetProperty("zoo_version", out var version) && version.GetString() == TinyZoo.Version
                && root.TryGetProperty("fingerprint", out var print) && print.GetString() == fingerprint;
        }
        catch (Exception e) when (e is JsonException or IOException or InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Builds <paramref name="folder"/> with <paramref name="write"/> unless it is up to date.</summary>
    /// <returns>True when the folder was (re)written, false when an up-to-date copy was kept.</returns>
    public static bool Write(string folder, string fingerprint, string description, Action<string> write)
    {
        var target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        if (IsUpToDate(target, fingerprint))
        {
            return false;
        }

        var parent = Path.GetDirectoryName(target) ?? throw new ArgumentException($"Zoo folder '{folder}' has no parent folder.", nameof(folder));
        Directory.CreateDirectory(parent);
        var name = Path.GetFileName(target);
        var staging = Path.Combine(parent, $".{name}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            write(staging);
            JsonFile.WriteObject(Path.Combine(staging, StampFileName), w =>
            {
                w.WriteString("zoo_version", TinyZoo.Version);
                w.WriteString("fingerprint", fingerprint);
                w.WriteString("content", description);
            });

            // Another process may have finished the same folder meanwhile: keep theirs.
            if (IsUpToDate(target, fingerprint))
            {
                return false;
            }

            string? retired = null;
            if (Directory.Exists(target))
            {
                retired = Path.Combine(parent, $".{name}.old-{Guid.NewGuid():N}");
                try
                {
                    Directory.Move(target, retired);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                    retired = null; // another writer moved it first
                }
            }

            try
            {
                Directory.Move(staging, target);
            }
            catch (IOException) when (IsUpToDate(target, fingerprint))
            {
                return false; // another writer put an equal copy in place between our check and our move
            }
            finally
            {
                if (retired is not null)
                {
                    TryDelete(retired);
                }
            }

            return true;
        }
        finally
        {
            TryDelete(staging);
        }
    }

    private static void TryDelete(string folder)
    {
        try
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
        catch (IOException)
        {
            // A leftover hidden folder is harmless; the build result matters more.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
