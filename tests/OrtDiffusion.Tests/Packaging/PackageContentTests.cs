using System.IO.Compression;
using System.Security.Cryptography;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using OrtDiffusion.Runtime.Native;
using Xunit.Abstractions;

namespace OrtDiffusion.Tests.Packaging;

/// <summary>
/// What <c>dotnet pack OrtDiffusion.sln</c> puts in each package. Expected values come from the repository itself:
/// the pinned versions in Directory.Packages.props, the targets file under src/, the ONNX Runtime library the build
/// copied next to these tests.
/// </summary>
[Collection(PackageFeedCollection.Name)]
public sealed class PackageContentTests(PackageFeedFixture feed, ITestOutputHelper log)
{
    private static readonly string[] Libraries = ["OrtDiffusion.Onnx", "OrtDiffusion.Runtime", "OrtDiffusion", "OrtDiffusion.TinyModels"];
    private const string Tool = "OrtDiffusion.Cli";
    private const string Framework = "net10.0";

    [Fact]
    public void Feed_HoldsTheFourLibrariesWithSymbolPackages_AndTheTool_AndNothingElse()
    {
        log.WriteLine($"packed {feed.Version} in {feed.PackTime.TotalSeconds:F1} s");
        var expected = Libraries.SelectMany(id => new[] { $"{id}.{feed.Version}.nupkg", $"{id}.{feed.Version}.snupkg" })
            .Append($"{Tool}.{feed.Version}.nupkg").Order(StringComparer.Ordinal);
        var packed = Directory.GetFiles(feed.Feed).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal(expected, packed);
    }

    [Fact]
    public void LibraryPackages_CarryAssemblyXmlDocsReadmeMitLicenceRepositoryAndSymbols()
    {
        foreach (var id in Libraries)
        {
            using var package = feed.Open(id);
            var entries = package.Entries.Select(e => e.FullName).ToHashSet();
            Assert.Contains($"lib/{Framework}/{id}.dll", entries);
            Assert.Contains($"lib/{Framework}/{id}.xml", entries);
            Assert.Contains("README.md", entries);

            var nuspec = PackageFeedFixture.Nuspec(package);
            Assert.Equal(feed.Version, nuspec.Element("version")!.Value);
            var license = nuspec.Element("license")!;
            Assert.Equal(("expression", "MIT"), ((string?)license.Attribute("type"), license.Value));
            Assert.Equal("README.md", nuspec.Element("readme")?.Value);
            Assert.False(string.IsNullOrWhiteSpace(nuspec.Element("description")?.Value), $"{id} has no description");
            var repository = nuspec.Element("repository")!;
            Assert.Equal(("git", "https://github.com/ortdiffusion/ortdiffusion"), ((string?)repository.Attribute("type"), (string?)repository.Attribute("url")));
            Assert.Matches("^[0-9a-f]{40}$", (string?)repository.Attribute("commit") ?? "");

            // The readme is a real document, not an empty placeholder.
            using (var readme = new StreamReader(package.GetEntry("README.md")!.Open()))
            {
                Assert.StartsWith("# OrtDiffusion", readme.ReadToEnd());
            }

            using var symbols = feed.Open(id, "snupkg");
            Assert.Contains($"lib/{Framework}/{id}.pdb", symbols.Entries.Select(e => e.FullName));
        }
    }

    [Fact]
    public void Dependencies_OrtDiffusionPackagesAtThisVersion_ThirdPartyAtThePinnedVersions()
    {
        var pinned = XDocument.Load(Path.Combine(RepositoryLayout.Root, "Directory.Packages.props")).Descendants("PackageVersion")
            .ToDictionary(e => (string)e.Attribute("Include")!, e => (string)e.Attribute("Version")!);

        Assert.Empty(Dependencies("OrtDiffusion.Runtime"));
        Assert.Equal(pinned["Google.Protobuf"], Dependencies("OrtDiffusion.Onnx")["Google.Protobuf"].Version);

        var library = Dependencies("OrtDiffusion");
        Assert.Equal(feed.Version, library["OrtDiffusion.Onnx"].Version);
        Assert.Equal(feed.Version, library["OrtDiffusion.Runtime"].Version);
        foreach (var id in new[] { "MathNet.Numerics", "System.Numerics.Tensors", "Microsoft.Extensions.Logging.Abstractions" })
        {
            Assert.Equal(pinned[id], library[id].Version);
        }

        // NuGet's default keeps a dependency's build/ assets private; buildTransitive/ must still reach consumers.
        Assert.DoesNotContain("BuildTransitive", library["OrtDiffusion.Runtime"].Exclude, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(feed.Version, Dependencies("OrtDiffusion.TinyModels")["OrtDiffusion"].Version);
        Assert.Empty(Dependencies(Tool)); // a tool package carries everything it runs with
    }

    [Fact]
    public void RuntimePackage_ShipsTheRepositoryTargetsAsBuildTransitive_AndNoPackageEmbedsOnnxRuntime()
    {
        using (var runtime = feed.Open("OrtDiffusion.Runtime"))
        {
            var targets = runtime.GetEntry("buildTransitive/OrtDiffusion.Runtime.targets");
            Assert.NotNull(targets);
            Assert.Equal(File.ReadAllBytes(Path.Combine(RepositoryLayout.Root, "src", "OrtDiffusion.Runtime", "build", "OrtDiffusion.Runtime.targets")), ReadAll(targets));
            Assert.DoesNotContain(runtime.Entries, e => e.FullName.StartsWith("build/", StringComparison.Ordinal));
        }

        foreach (var id in Libraries)
        {
            using var package = feed.Open(id);
            var native = package.Entries.Where(e => Regex.IsMatch(e.Name, @"onnxruntime\.(dll|so|dylib)|^libonnxruntime", RegexOptions.IgnoreCase)).Select(e => e.FullName).ToList();
            Assert.True(native.Count == 0, $"{id} embeds {string.Join(", ", native)}");
            Assert.True(new FileInfo(feed.PackageFile(id)).Length < 2_000_000, $"{id} is unexpectedly large");
        }
    }

    [Fact]
    public void ToolPackage_IsTheOrtdiffDotnetTool_CarryingTheOnnxRuntimeLibraryOfTheBuild()
    {
        using var package = feed.Open(Tool);
        var nuspec = PackageFeedFixture.Nuspec(package);
        Assert.Equal("DotnetTool", (string?)nuspec.Element("packageTypes")?.Element("packageType")?.Attribute("name"));
        Assert.Equal(("expression", "MIT"), ((string?)nuspec.Element("license")!.Attribute("type"), nuspec.Element("license")!.Value));

        var folder = $"tools/{Framework}/any/";
        var settings = XDocument.Load(package.GetEntry(folder + "DotnetToolSettings.xml")!.Open()).Descendants("Command").Single();
        Assert.Equal(("ortdiff", "ortdiff.dll"), ((string?)settings.Attribute("Name"), (string?)settings.Attribute("EntryPoint")));
        Assert.NotNull(package.GetEntry(folder + "ortdiff.dll"));
        Assert.DoesNotContain(package.Entries, e => e.FullName.StartsWith(folder, StringComparison.Ordinal) && e.Name.EndsWith(".xml", StringComparison.Ordinal) && e.Name != "DotnetToolSettings.xml");

        // The same file the build copied next to these tests (both come from the ONNX Runtime cache).
        var nativeName = NativeLibraryLocator.FileNames[0];
        var carried = package.GetEntry(folder + nativeName);
        Assert.True(carried is not null, $"the tool package has no {folder}{nativeName}");
        Assert.Equal(SHA256.HashData(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, nativeName))), SHA256.HashData(ReadAll(carried)));
    }

    private Dictionary<string, (string Version, string Exclude)> Dependencies(string id)
    {
        using var package = feed.Open(id);
        return PackageFeedFixture.Nuspec(package).Descendants("dependency").ToDictionary(
            d => (string)d.Attribute("id")!,
            d => ((string)d.Attribute("version")!, (string?)d.Attribute("exclude") ?? ""));
    }

    private static byte[] ReadAll(ZipArchiveEntry entry)
    {
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
