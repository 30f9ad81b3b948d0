namespace OrtDiffusion.IO;

/// <summary>Where OrtDiffusion keeps downloaded and generated files: <c>$ORTDIFFUSION_CACHE</c>, else <c>~/.cache/ortdiffusion</c>.</summary>
public static class CacheFolders
{
    /// <summary>The environment variable that moves the cache.</summary>
    public const string EnvironmentVariable = "ORTDIFFUSION_CACHE";

    /// <summary>The cache root.</summary>
    public static string Root
    {
        get
        {
            var root = Environment.GetEnvironmentVariable(EnvironmentVariable);
            return string.IsNullOrWhiteSpace(root)
                ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "ortdiffusion")
                : root;
        }
    }

    /// <summary>A named folder under the cache root.</summary>
    public static string Get(string name) => Path.Combine(Root, name);
}
