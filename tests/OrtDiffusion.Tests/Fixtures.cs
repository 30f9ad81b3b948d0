namespace OrtDiffusion.Tests;

/// <summary>Paths of committed test fixtures (copied next to the test assembly).</summary>
internal static class Fixtures
{
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([AppContext.BaseDirectory, "Fixtures", .. parts]);
}
