using System.IO.Compression;
using OrtDiffusion.IO;

namespace OrtDiffusion.Evaluation;

/// <summary>
/// NumPy <c>.npz</c> archives: a ZIP file with one <c>NAME.npy</c> entry per array, as <c>numpy.savez</c> (stored) and
/// <c>numpy.savez_compressed</c> (deflated) write them. Reads both; writes stored entries with a fixed timestamp, so
/// equal arrays give equal bytes. pytorch-fid's statistics files (<c>mu</c>, <c>sigma</c>) are of this kind.
/// </summary>
public static class NpzFile
{
    private static readonly DateTimeOffset FixedTime = new(1980, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Reads every array of the archive, by name (the entry name without <c>.npy</c>).</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Not a ZIP archive, an entry that is not a .npy array, or an entry with bytes after its data.</exception>
    public static IReadOnlyDictionary<string, NpyArray> Read(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"The .npz file '{path}' does not exist.", path);
        }

        var arrays = new Dictionary<string, NpyArray>(StringComparer.Ordinal);
        try
        {
            using var zip = ZipFile.OpenRead(path);
            foreach (var entry in zip.Entries)
            {
                if (!entry.FullName.EndsWith(".npy", StringComparison.Ordinal))
                {
                    throw new InvalidDataException($"'{path}': entry '{entry.FullName}' is not a .npy array (an .npz holds only NAME.npy entries).");
                }

                using var buffer = new MemoryStream();
                using (var stream = entry.Open())
                {
                    stream.CopyTo(buffer);
                }

                buffer.Position = 0;
                var source = $"{path}:{entry.FullName}";
                var array = NpyFile.Read(buffer, source);
                if (buffer.Position != buffer.Length)
                {
                    throw new InvalidDataException($"'{source}': {buffer.Length - buffer.Position} bytes follow the array's data (shape and data do not match).");
                }

                arrays[entry.FullName[..^4]] = array;
            }
        }
        catch (InvalidDataException e) when (!e.Message.Contains(path, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"'{path}' is not a readable .npz archive: {e.Message}", e);
        }

        return arrays;
    }

    /// <summary>Writes the arrays, in the order given, as an uncompressed archive (atomically).</summary>
    /// <exception cref="ArgumentException">No arrays, an empty or repeated name, or a name with a path separator.</exception>
    public static void Write(string path, IReadOnlyList<KeyValuePair<string, NpyArray>> arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        if (arrays.Count == 0)
        {
            throw new ArgumentException("An .npz archive needs at least one array.", nameof(arrays));
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in arrays)
        {
            if (string.IsNullOrEmpty(name) || name.Contains('/', StringComparison.Ordinal) || name.Contains('\\', StringComparison.Ordinal) || !names.Add(name))
            {
                throw new ArgumentException($"Array name '{name}' is empty, repeated or holds a path separator.", nameof(arrays));
            }
        }

        AtomicFile.Write(path, stream =>
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
            foreach (var (name, array) in arrays)
            {
                var entry = zip.CreateEntry(name + ".npy", CompressionLevel.NoCompression);
                entry.LastWriteTime = FixedTime;
                using var entryStream = entry.Open();
                NpyFile.Write(entryStream, array);
            }
        });
    }

    /// <summary>The array called <paramref name="name"/>, or an error naming the file and the arrays it has.</summary>
    /// <exception cref="InvalidDataException">No such array.</exception>
    public static NpyArray Require(IReadOnlyDictionary<string, NpyArray> arrays, string name, string path)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        return arrays.TryGetValue(name, out var array)
            ? array
            : throw new InvalidDataException($"'{path}' has no array '{name}' (it has: {string.Join(", ", arrays.Keys)}).");
    }
}
