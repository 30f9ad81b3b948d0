namespace OrtDiffusion.Rewards;

/// <summary>A reward folder whose manifest was read and whose named files exist.</summary>
internal sealed record RewardFolder(string Path, RewardManifest Manifest, string ModelPath, string? TextModelPath, string? TokenizerPath)
{
    /// <summary>The folder's own name (<c>clip</c>, <c>image_reward</c>, …), used as the reward's name.</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    /// <summary>Reads <c>reward.json</c> and checks that every file it names is there.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder or its tokenizer folder is missing.</exception>
    /// <exception cref="FileNotFoundException">The manifest or a model file is missing.</exception>
    /// <exception cref="InvalidDataException">The manifest is invalid.</exception>
    public static RewardFolder Open(string folder)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        var full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(folder));
        if (!Directory.Exists(full))
        {
            throw new DirectoryNotFoundException($"Reward folder '{full}' does not exist.");
        }

        var manifest = RewardManifest.Load(full);
        var model = RequireFile(full, manifest.Model, "model");
        var textModel = manifest.TextModel is { } text ? RequireFile(full, text.Model, "text_model.model") : null;
        string? tokenizer = null;
        if (manifest.Tokenizer is { } t)
        {
            tokenizer = System.IO.Path.GetFullPath(System.IO.Path.Combine(full, t.Folder));
            if (!Directory.Exists(tokenizer))
            {
                throw new DirectoryNotFoundException($"Reward folder '{full}': the tokenizer folder '{tokenizer}' that reward.json names ('tokenizer.folder') does not exist.");
            }
        }

        return new RewardFolder(full, manifest, model, textModel, tokenizer);
    }

    private static string RequireFile(string folder, string relative, string key)
    {
        var path = System.IO.Path.GetFullPath(System.IO.Path.Combine(folder, relative));
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Reward folder '{folder}': the file '{path}' that reward.json names ('{key}') does not exist.", path);
        }

        return path;
    }
}
