namespace OrtDiffusion.TinyModels.Fid;

/// <summary>The tiny FID network folder of the zoo (<c>root/fid</c>): a few convolutions and a global average pool, 64 features.</summary>
public static class TinyFid
{
    /// <summary>Writes the folder (skipped when an up-to-date copy is there).</summary>
    /// <returns>The folder's full path.</returns>
    public static string Write(string folder, TinyZooOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        options ??= TinyZooOptions.Default;
        options.Validate();

        // Like the rewards, it depends on the seed and the opset only.
        var relevant = TinyZooOptions.Default with { Seed = options.Seed, Opset = options.Opset };
        Layout.ZooFolder.Write(folder, relevant.Fingerprint("fid"), "tiny FID network", staging => FidLayout.Write(staging, relevant));
        return Path.GetFullPath(folder);
    }
}
