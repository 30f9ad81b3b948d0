using OrtDiffusion.PixArt;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Tests.PixArt;

/// <summary>
/// Resolution binning: the bucket tables and the nearest-ratio rule (expected buckets worked out by hand from diffusers'
/// ASPECT_RATIO_*_BIN tables, copied into the comments), and the resize back against torch (ResizeReference.g.cs,
/// written by Reference/resize_reference.py with torch 1.13's F.interpolate).
/// </summary>
public sealed class ResolutionBinningTests
{
    [Fact]
    public void The_1024_table_has_diffusers_33_buckets_and_the_512_and_256_tables_are_its_halves_and_quarters()
    {
        var bins = AspectRatioBins.Pixels1024.Bins;
        Assert.Equal(33, bins.Count);
        Assert.Equal(new AspectRatioBin("0.25", 512, 2048), bins[0]);
        Assert.Equal(new AspectRatioBin("1.0", 1024, 1024), bins[18]);
        Assert.Equal(new AspectRatioBin("4.0", 2048, 512), bins[^1]);
        Assert.All(bins, b => Assert.True(b.Height % 64 == 0 && b.Width % 64 == 0, $"{b.Ratio}: {b.Width}x{b.Height}"));
        Assert.All(bins, b => Assert.InRange((double)b.Height / b.Width, double.Parse(b.Ratio, System.Globalization.CultureInfo.InvariantCulture) - 0.05, double.Parse(b.Ratio, System.Globalization.CultureInfo.InvariantCulture) + 0.05));

        // Entries of diffusers' ASPECT_RATIO_512_BIN and _256_BIN, as written there.
        Assert.Equal(new AspectRatioBin("0.68", 416, 608), AspectRatioBins.Pixels512.Bins[12]);
        Assert.Equal(new AspectRatioBin("2.09", 736, 352), AspectRatioBins.Pixels512.Bins[28]);
        Assert.Equal(new AspectRatioBin("0.5", 176, 352), AspectRatioBins.Pixels256.Bins[8]);
        Assert.Equal(new AspectRatioBin("3.0", 432, 144), AspectRatioBins.Pixels256.Bins[31]);

        Assert.Same(AspectRatioBins.Pixels1024, AspectRatioBins.ForSampleSize(128));
        Assert.Same(AspectRatioBins.Pixels512, AspectRatioBins.ForSampleSize(64));
        Assert.Same(AspectRatioBins.Pixels256, AspectRatioBins.ForSampleSize(32));
        Assert.Null(AspectRatioBins.ForSampleSize(8));
    }

    [Theory]
    // height, width → expected bucket height, width (ratio h/w, nearest key, its distance vs the runner-up)
    [InlineData(1024, 1024, 1024, 1024)] // 1.0 exactly
    [InlineData(512, 512, 1024, 1024)]   // 1.0: small requests go up to the bucket
    [InlineData(600, 1000, 768, 1280)]   // 0.6 exactly → "0.6"
    [InlineData(1000, 600, 1280, 768)]   // 1.6667 → "1.67" (0.0033) vs "1.75" (0.083)
    [InlineData(1080, 1920, 768, 1344)]  // 0.5625 → "0.57" (0.0075) vs "0.52" (0.0425)
    [InlineData(768, 1360, 768, 1344)]   // 0.5647 → "0.57" (0.0053)
    [InlineData(1200, 1000, 1088, 896)]  // 1.2 → "1.21" (0.01) vs "1.13" (0.07)
    [InlineData(4096, 512, 2048, 512)]   // 8.0 → beyond the table: "4.0"
    [InlineData(100, 10000, 512, 2048)]  // 0.01 → "0.25"
    [InlineData(7, 2, 1728, 576)]        // 3.5: |3.0 − 3.5| = |4.0 − 3.5| exactly; the earlier key "3.0" wins, as Python's min
    [InlineData(3, 4, 832, 1152)]        // 0.75: "0.72" and "0.78" tie exactly in double; "0.72" wins
    public void Classify_picks_the_nearest_ratio_key_of_the_1024_table(int height, int width, int expectedHeight, int expectedWidth)
    {
        var bin = AspectRatioBins.Pixels1024.Classify(height, width);
        Assert.Equal((expectedHeight, expectedWidth), (bin.Height, bin.Width));
    }

    [Fact]
    public void Classify_in_the_512_table_returns_its_sizes()
    {
        // 512 × 768 → 0.6667 → "0.68" (0.0133) vs "0.6" (0.0667): diffusers' ASPECT_RATIO_512_BIN["0.68"] = [416, 608].
        Assert.Equal(new AspectRatioBin("0.68", 416, 608), AspectRatioBins.Pixels512.Classify(512, 768));
        Assert.Equal(new AspectRatioBin("1.0", 512, 512), AspectRatioBins.Pixels512.Classify(1024, 1024));
    }

    [Fact]
    public void Bad_tables_and_sizes_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new AspectRatioBins([]));
        Assert.Contains("'wide'", Assert.Throws<ArgumentException>(() => new AspectRatioBins([new("wide", 64, 128)])).Message);
        Assert.Throws<ArgumentException>(() => new AspectRatioBins([new("1.0", 0, 64)]));
        Assert.Throws<ArgumentOutOfRangeException>(() => AspectRatioBins.Pixels1024.Classify(0, 64));
    }

    [Fact]
    public void Resize_and_crop_matches_torch_bilinear_and_diffusers_centre_crop()
    {
        foreach (var (name, shape, height, width, input, expected) in ResizeReference.Cases)
        {
            var actual = BinnedImageResize.ResizeAndCrop(new FloatTensor(input, shape), width, height);
            Assert.Equal([shape[0], shape[1], height, width], actual.Shape);
            var worst = expected.Zip(actual.Data, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(worst < 2e-6, $"{name}: max difference {worst:E2} from torch");
        }
    }

    [Fact]
    public void Scaled_size_covers_the_target_even_where_floating_point_falls_one_short()
    {
        // 384×640 → 300×500: ratio max(0.78125, 0.78125) → exactly 300×500.
        Assert.Equal((300, 500), BinnedImageResize.ScaledSize(384, 640, 300, 500));
        // 64×128 → 50×90: ratio max(0.78125, 0.703125) = 0.78125 → 50×100 (then a crop of 5 columns each side).
        Assert.Equal((50, 100), BinnedImageResize.ScaledSize(64, 128, 50, 90));
        // 7 → 61: int(7 · (61/7)) = 60 in double; the target 61 is used instead.
        Assert.Equal(60, (int)(7 * (61.0 / 7)));
        Assert.Equal((61, 61), BinnedImageResize.ScaledSize(7, 7, 61, 61));

        var same = FloatTensor.Zeros(1, 3, 8, 8);
        Assert.Same(same, BinnedImageResize.ResizeAndCrop(same, 8, 8));
    }
}
