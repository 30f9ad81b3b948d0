using OrtDiffusion.Imaging;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// The reference side of FID: statistics from an <c>.npz</c> file (<c>mu</c>, <c>sigma</c>, as pytorch-fid's
/// <c>--save-stats</c> writes them, or <c>ortdiff eval fid-stats</c>), or computed from a folder of PNG images.
/// </summary>
public static class FidReference
{
    /// <summary>Loads <paramref name="source"/>: an <c>.npz</c> file, or a folder whose <c>*.png</c> files (sorted by name) are featurised by <paramref name="extractor"/>.</summary>
    /// <exception cref="FileNotFoundException">Neither a file nor a folder.</exception>
    /// <exception cref="ArgumentException">A folder is given but no extractor.</exception>
    /// <exception cref="InvalidDataException">Fewer than two images, or statistics of another dimension than the extractor's.</exception>
    public static GaussianStatistics Load(string source, FidFeatureExtractor? extractor, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(source);
        GaussianStatistics statistics;
        if (Directory.Exists(source))
        {
            if (extractor is null)
            {
                throw new ArgumentException($"The FID reference '{source}' is a folder of images; featurising it needs the FID model (--fid-model).");
            }

            statistics = FromImages(source, extractor, progress, cancellation).ToGaussian();
        }
        else if (File.Exists(source))
        {
            statistics = GaussianStatistics.Load(source);
        }
        else
        {
            throw new FileNotFoundException($"The FID reference '{source}' is neither a statistics file (.npz) nor a folder of PNG images.", source);
        }

        if (extractor is not null && statistics.Dimension != extractor.FeatureDimension)
        {
            throw new InvalidDataException($"The FID reference '{source}' has {statistics.Dimension} features but the FID model in '{extractor.Folder}' gives {extractor.FeatureDimension}.");
        }

        return statistics;
    }

    /// <summary>The moments of the features of every <c>*.png</c> in <paramref name="folder"/> (not recursive), in name order.</summary>
    /// <exception cref="InvalidDataException">Fewer than two PNG files.</exception>
    public static FeatureMoments FromImages(string folder, FidFeatureExtractor extractor, IProgress<int>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        var files = Directory.GetFiles(folder, "*.png").Order(StringComparer.Ordinal).ToList();
        if (files.Count < 2)
        {
            throw new InvalidDataException($"The FID reference folder '{folder}' has {files.Count} PNG file(s); a covariance needs at least two (real FID references use thousands).");
        }

        var moments = new FeatureMoments(extractor.FeatureDimension);
        for (var i = 0; i < files.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            moments.Add(extractor.Extract(PngReader.Read(files[i]).Image, cancellation));
            progress?.Report(i + 1);
        }

        return moments;
    }
}
