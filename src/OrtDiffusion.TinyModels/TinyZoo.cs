using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels.Layout;
using OrtDiffusion.TinyModels.PixArt;

namespace OrtDiffusion.TinyModels;

/// <summary>Where <see cref="TinyZoo.WriteAll"/> put each part of the zoo.</summary>
/// <param name="Root">The zoo's root folder.</param>
/// <param name="StableDiffusion">The Stable Diffusion v1.5-style folder (<c>root/sd15</c>).</param>
/// <param name="Rewards">Each reward's folder (<c>root/rewards/&lt;kind&gt;</c>).</param>
/// <param name="PixArt">The PixArt-α folder (<c>root/pixart</c>).</param>
public sealed record TinyZooLayout(string Root, string StableDiffusion, IReadOnlyDictionary<RewardKind, string> Rewards, string PixArt)
{
    /// <summary>The tiny FID network's folder (<c>root/fid</c>: <c>fid.json</c>, <c>model.onnx</c>).</summary>
    public string Fid { get; init; } = string.Empty;
}

/// <summary>
/// The tiny model zoo: small seeded random-weight ONNX models with the real input/output contracts and the real
/// exporters' op patterns, written in the real folder layouts. Writing is atomic per folder and skipped when an
/// up-to-date copy (same zoo version and options) is already there.
/// </summary>
public static class TinyZoo
{
    /// <summary>Version of the zoo's content; bumped whenever a model, config or tokenizer changes.</summary>
    public const string Version = "2";

    /// <summary>The rewards the zoo builds.</summary>
    public static IReadOnlyList<RewardKind> BuiltRewards { get; } = [RewardKind.Clip, RewardKind.Aesthetic, RewardKind.ImageReward, RewardKind.HpsV2];

    internal const string Producer = "OrtDiffusion.TinyModels";

    /// <summary>
    /// Writes a Stable Diffusion v1.5-style folder (Optimum ONNX layout): <c>model_index.json</c>,
    /// <c>scheduler/</c>, <c>tokenizer/</c>, <c>text_encoder/</c>, <c>unet/</c>, <c>vae_decoder/</c>, <c>vae_encoder/</c>.
    /// </summary>
    /// <returns>The folder's full path.</returns>
    public static string WriteStableDiffusion(string folder, TinyZooOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        options ??= TinyZooOptions.Default;
        options.Validate();
        ZooFolder.Write(folder, options.Fingerprint("sd15"), "tiny Stable Diffusion v1.5", staging => StableDiffusionLayout.Write(staging, options, cancellation));
        return Path.GetFullPath(folder);
    }

    /// <summary>
    /// Writes a PixArt-α folder: <c>model_index.json</c>, <c>scheduler/</c> (DPM-Solver++), <c>tokenizer/</c> (T5
    /// SentencePiece), <c>text_encoder/</c> (T5 encoder), <c>transformer/</c> (DiT) and <c>vae_decoder/</c>.
    /// </summary>
    /// <returns>The folder's full path.</returns>
    public static string WritePixArt(string folder, PixArtZooOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        options ??= PixArtZooOptions.Default;
        options.Validate();
        ZooFolder.Write(folder, options.Fingerprint(), "tiny PixArt-alpha", staging => PixArtLayout.Write(staging, options, cancellation));
        return Path.GetFullPath(folder);
    }

    /// <summary>Writes a reward folder (<c>reward.json</c>, <c>model.onnx</c>, and the text side: tokenizer, text model).</summary>
    /// <returns>The folder's full path.</returns>
    /// <exception cref="NotSupportedException"><paramref name="kind"/> is not a kind the zoo builds.</exception>
    public static string WriteReward(string folder, RewardKind kind, TinyZooOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(folder);
        if (!BuiltRewards.Contains(kind))
        {
            throw new NotSupportedException($"The tiny zoo does not build a '{kind}' reward; it builds {string.Join(", ", BuiltRewards)}.");
        }

        options ??= TinyZooOptions.Default;
        options.Validate();

        // Rewards depend on the seed and the opset only; the Stable Diffusion choices must not trigger rebuilds.
        var relevant = TinyZooOptions.Default with { Seed = options.Seed, Opset = options.Opset };
        var component = "reward-" + RewardFolderName(kind);
        ZooFolder.Write(folder, relevant.Fingerprint(component), $"tiny {kind} reward", staging => RewardLayout.Write(staging, kind, relevant));
        return Path.GetFullPath(folder);
    }

    /// <summary>
    /// Writes the whole zoo under <paramref name="root"/>: <c>sd15/</c>, <c>pixart/</c> (with the options' seed and
    /// opset), <c>rewards/&lt;kind&gt;/</c> and <c>fid/</c>.
    /// </summary>
    public static TinyZooLayout WriteAll(string root, TinyZooOptions? options = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(root);
        var sd = WriteStableDiffusion(Path.Combine(root, "sd15"), options, cancellation);
        var rewards = new Dictionary<RewardKind, string>();
        foreach (var kind in BuiltRewards)
        {
            cancellation.ThrowIfCancellationRequested();
            rewards[kind] = WriteReward(Path.Combine(root, "rewards", RewardFolderName(kind)), kind, options);
        }

        var pixart = WritePixArt(Path.Combine(root, "pixart"), PixArtZooOptions.From(options), cancellation);
        var fid = Fid.TinyFid.Write(Path.Combine(root, "fid"), options);
        return new TinyZooLayout(Path.GetFullPath(root), sd, rewards, pixart) { Fid = fid };
    }

    /// <summary>The folder name of a reward under <c>rewards/</c>: the manifest's kind string (<c>clip</c>, <c>aesthetic</c>, <c>image_reward</c>, <c>hpsv2</c>).</summary>
    public static string RewardFolderName(RewardKind kind) => RewardKinds.Name(kind);
}
