using System.Diagnostics;
using System.IO.Compression;
using System.Xml.Linq;

namespace OrtDiffusion.Tests.Packaging;

/// <summary>
/// Packs the repository once per test run (<c>dotnet pack OrtDiffusion.sln --no-build</c>, reusing the build the
/// tests come from) into a local folder feed under a temporary root, with a version unique to this run, and writes a
/// <c>nuget.config</c> at that root that adds the feed to the machine's own sources.
/// NuGet state is kept inside the root too: <c>NUGET_PACKAGES</c> points at an empty folder there, so nothing from
/// an earlier run can be picked up; the machine's global packages folder is only a read-only fallback, which saves
/// downloading the third-party dependencies again.
/// </summary>
public sealed class PackageFeedFixture : IDisposable
{
    private readonly TempFolder root = new("packaging");

    public PackageFeedFixture()
    {
        // A prerelease no real release or earlier run uses, so no NuGet cache can hold a stale copy.
        Version = $"0.1.0-test.{DateTime.UtcNow:yyyyMMddHHmmss}.g{Guid.NewGuid().ToString("N")[..8]}";
        Directory.CreateDirectory(Packages);
        Directory.CreateDirectory(EmptyCache);

        // Projects created under the root must not inherit MSBuild files from a folder above the temp directory.
        foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
        {
            File.WriteAllText(Path.Combine(Root, name), "<Project />\n");
        }

        File.WriteAllText(Path.Combine(Root, "nuget.config"), new XDocument(
            new XElement("configuration",
                new XElement("packageSources", new XElement("add", new XAttribute("key", "ortdiffusion-test-feed"), new XAttribute("value", Feed))),
                new XElement("fallbackPackageFolders", new XElement("add", new XAttribute("key", "machine-global-packages"), new XAttribute("value", MachinePackages))))).ToString());

        var clock = Stopwatch.StartNew();
        try
        {
            // Packing reads the restore results of the repository's own build, so it keeps the machine's NuGet folders.
            PackResult = ProcessRunner.RunDotnet(RepositoryLayout.Root, null,
                "pack", RepositoryLayout.Solution, "-c", RepositoryLayout.Configuration, "--no-build", "-nologo",
                "-o", Feed, $"-p:Version={Version}",
                // Keep the intermediate nuspecs and the tool's publish folder out of the repository's bin/ and obj/.
                $"-p:NuspecOutputPath={Path.Combine(Root, "nuspec")}/", $"-p:PublishDir={Path.Combine(Root, "publish")}/").AssertSucceeded();
        }
        catch
        {
            root.Dispose();
            throw;
        }

        PackTime = clock.Elapsed;
    }

    public string Root => root.Path;

    /// <summary>The package version of this run.</summary>
    public string Version { get; }

    /// <summary>The local folder feed.</summary>
    public string Feed => Path.Combine(Root, "feed");

    /// <summary>The fresh global packages folder (<c>NUGET_PACKAGES</c>) of every dotnet command the tests run.</summary>
    public string Packages => Path.Combine(Root, "nuget-packages");

    /// <summary>An empty OrtDiffusion cache: a program run with it cannot find ONNX Runtime in the build cache.</summary>
    public string EmptyCache => Path.Combine(Root, "empty-cache");

    public ProcessResult PackResult { get; }

    public TimeSpan PackTime { get; }

    /// <summary>The machine's global packages folder.</summary>
    public static string MachinePackages =>
        Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");

    /// <summary>A file of the feed: <c>Id.Version.nupkg</c> (or <c>.snupkg</c>).</summary>
    public string PackageFile(string id, string extension = "nupkg") => Path.Combine(Feed, $"{id}.{Version}.{extension}");

    /// <summary>Opens a package of the feed.</summary>
    public ZipArchive Open(string id, string extension = "nupkg")
    {
        var path = PackageFile(id, extension);
        Assert.True(File.Exists(path), $"{path} was not packed.\n{PackResult.Describe()}");
        return ZipFile.OpenRead(path);
    }

    /// <summary>Runs <c>dotnet</c> with this fixture's NuGet folder; fails the test with the whole output on a non-zero exit.</summary>
    public ProcessResult Dotnet(string workingDirectory, params string[] arguments)
    {
        var result = ProcessRunner.RunDotnet(workingDirectory, new Dictionary<string, string?> { ["NUGET_PACKAGES"] = Packages }, arguments);
        if (result.ExitCode != 0 && result.Output.Contains("NU1301", StringComparison.Ordinal))
        {
            Assert.Fail("NuGet could not reach a package source (NU1301). The packaging tests restore through this machine's " +
                        "configured NuGet sources (`dotnet nuget list source`) plus a local feed; they need that source to answer.\n" + result.Describe());
        }

        return result.AssertSucceeded();
    }

    public void Dispose() => root.Dispose();

    /// <summary>The nuspec of a package, without XML namespaces in the way.</summary>
    public static XElement Nuspec(ZipArchive package)
    {
        var entry = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/'));
        using var stream = entry.Open();
        var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        foreach (var element in metadata.DescendantsAndSelf())
        {
            element.Name = element.Name.LocalName;
        }

        return metadata;
    }
}

[CollectionDefinition(Name)]
public sealed class PackageFeedCollection : ICollectionFixture<PackageFeedFixture>
{
    public const string Name = "packed feed";
}
