namespace OrtDiffusion.Tests.Packaging;

/// <summary>Where the repository and its build outputs are, seen from the test assembly's folder.</summary>
internal static class RepositoryLayout
{
    /// <summary>The folder holding <c>OrtDiffusion.sln</c>.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The solution file.</summary>
    public static string Solution => Path.Combine(Root, "OrtDiffusion.sln");

    // The test assembly sits in bin/<configuration>/<framework>/; the other projects were built the same way.
    private static readonly DirectoryInfo OutputFolder = new(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory));

    /// <summary>The build configuration the tests were built with (Debug, Release).</summary>
    public static string Configuration => OutputFolder.Parent!.Name;

    /// <summary>The target framework folder name (net10.0).</summary>
    public static string TargetFramework => OutputFolder.Name;

    /// <summary>The built entry assembly of a sample under <c>samples/</c>.</summary>
    public static string SampleAssembly(string name)
    {
        var path = Path.Combine(Root, "samples", name, "bin", Configuration, TargetFramework, name + ".dll");
        Assert.True(File.Exists(path), $"The sample '{name}' is not built at {path}; the test project references it, so building the tests builds it.");
        return path;
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OrtDiffusion.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No OrtDiffusion.sln above {AppContext.BaseDirectory}.");
    }
}
