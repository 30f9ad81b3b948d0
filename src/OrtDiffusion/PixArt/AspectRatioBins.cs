using System.Globalization;

namespace OrtDiffusion.PixArt;

/// <summary>One trained aspect-ratio bucket: its key (height / width, rounded, as the table writes it) and its size in pixels.</summary>
/// <param name="Ratio">The key, e.g. <c>"0.57"</c>; classification compares against its value.</param>
/// <param name="Height">Bucket height in pixels.</param>
/// <param name="Width">Bucket width in pixels.</param>
public readonly record struct AspectRatioBin(string Ratio, int Height, int Width);

/// <summary>
/// PixArt-α's resolution binning: the aspect-ratio buckets a model was trained on, and the mapping of a requested size
/// to the bucket whose ratio key is nearest to height / width (ties go to the earlier, smaller key), as diffusers'
/// <c>classify_height_width_bin</c> over <c>ASPECT_RATIO_1024_BIN</c>, <c>_512_BIN</c> and <c>_256_BIN</c>. The
/// 512 and 256 tables are the 1024 table's sizes halved and quartered (they are, entry for entry, in diffusers).
/// </summary>
public sealed class AspectRatioBins
{
    // PixArt-XL-2-1024-MS's buckets: ratio key, height, width (diffusers' ASPECT_RATIO_1024_BIN, the PixArt-α paper's table).
    private static readonly (string Ratio, int Height, int Width)[] Buckets1024 =
    [
        ("0.25", 512, 2048), ("0.28", 512, 1856), ("0.32", 576, 1792), ("0.33", 576, 1728), ("0.35", 576, 1664),
        ("0.4", 640, 1600), ("0.42", 640, 1536), ("0.48", 704, 1472), ("0.5", 704, 1408), ("0.52", 704, 1344),
        ("0.57", 768, 1344), ("0.6", 768, 1280), ("0.68", 832, 1216), ("0.72", 832, 1152), ("0.78", 896, 1152),
        ("0.82", 896, 1088), ("0.88", 960, 1088), ("0.94", 960, 1024), ("1.0", 1024, 1024), ("1.07", 1024, 960),
        ("1.13", 1088, 960), ("1.21", 1088, 896), ("1.29", 1152, 896), ("1.38", 1152, 832), ("1.46", 1216, 832),
        ("1.67", 1280, 768), ("1.75", 1344, 768), ("2.0", 1408, 704), ("2.09", 1472, 704), ("2.4", 1536, 640),
        ("2.5", 1600, 640), ("3.0", 1728, 576), ("4.0", 2048, 512),
    ];

    private readonly AspectRatioBin[] bins;
    private readonly double[] ratios;

    /// <summary>Buckets in table order (the order breaks ties).</summary>
    /// <exception cref="ArgumentException">No buckets, a key that is not a positive number, or a size below 1.</exception>
    public AspectRatioBins(IEnumerable<AspectRatioBin> buckets)
    {
        ArgumentNullException.ThrowIfNull(buckets);
        bins = [.. buckets];
        if (bins.Length == 0)
        {
            throw new ArgumentException("Give at least one aspect-ratio bucket.", nameof(buckets));
        }

        ratios = new double[bins.Length];
        for (var i = 0; i < bins.Length; i++)
        {
            var bin = bins[i];
            if (!double.TryParse(bin.Ratio, NumberStyles.Float, CultureInfo.InvariantCulture, out ratios[i]) || !(ratios[i] > 0) || !double.IsFinite(ratios[i]))
            {
                throw new ArgumentException($"Bucket {i}: the ratio key '{bin.Ratio}' is not a positive number.", nameof(buckets));
            }

            if (bin.Height < 1 || bin.Width < 1)
            {
                throw new ArgumentException($"Bucket '{bin.Ratio}': {bin.Width}×{bin.Height} is not a size.", nameof(buckets));
            }
        }
    }

    /// <summary>The 1024-px buckets (PixArt-XL-2-1024-MS, transformer <c>sample_size</c> 128).</summary>
    public static AspectRatioBins Pixels1024 { get; } = Scaled(1);

    /// <summary>The 512-px buckets (PixArt-XL-2-512x512, <c>sample_size</c> 64).</summary>
    public static AspectRatioBins Pixels512 { get; } = Scaled(2);

    /// <summary>The 256-px buckets (<c>sample_size</c> 32).</summary>
    public static AspectRatioBins Pixels256 { get; } = Scaled(4);

    /// <summary>The buckets in table order.</summary>
    public IReadOnlyList<AspectRatioBin> Bins => bins;

    /// <summary>
    /// The buckets diffusers picks for a transformer's <c>sample_size</c> (latent side): 128 → 1024 px, 64 → 512 px,
    /// 32 → 256 px; null for any other size (diffusers refuses those; the pipeline then generates at the requested size).
    /// </summary>
    public static AspectRatioBins? ForSampleSize(int sampleSize) => sampleSize switch
    {
        128 => Pixels1024,
        64 => Pixels512,
        32 => Pixels256,
        _ => null,
    };

    /// <summary>The bucket whose key is nearest to <paramref name="height"/> / <paramref name="width"/> (the first of equals).</summary>
    public AspectRatioBin Classify(int height, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        var ratio = (double)height / width;
        var best = 0;
        for (var i = 1; i < bins.Length; i++)
        {
            if (Math.Abs(ratios[i] - ratio) < Math.Abs(ratios[best] - ratio))
            {
                best = i;
            }
        }

        return bins[best];
    }

    private static AspectRatioBins Scaled(int divisor) =>
        new(Buckets1024.Select(b => new AspectRatioBin(b.Ratio, b.Height / divisor, b.Width / divisor)));
}
