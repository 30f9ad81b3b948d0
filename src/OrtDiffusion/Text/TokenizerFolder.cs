namespace OrtDiffusion.Text;

/// <summary>Finds a tokenizer's files given either the tokenizer folder or the model folder above it.</summary>
internal static class TokenizerFolder
{
    /// <summary>
    /// <paramref name="folder"/> itself when it holds <paramref name="markerFile"/>, else its
    /// <c>tokenizer/</c> sub-folder when that does; otherwise a <see cref="FileNotFoundException"/>.
    /// </summary>
    public static string Resolve(string folder, string markerFile, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (File.Exists(Path.Combine(folder, markerFile))) return folder;
        string sub = Path.Combine(folder, "tokenizer");
        if (File.Exists(Path.Combine(sub, markerFile))) return sub;
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"{what} folder not found: {folder}");
        throw new FileNotFoundException(
            $"{what}: neither {Path.Combine(folder, markerFile)} nor {Path.Combine(sub, markerFile)} exists.",
            Path.Combine(folder, markerFile));
    }
}
