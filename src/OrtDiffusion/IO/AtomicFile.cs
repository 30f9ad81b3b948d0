using System.Text;

namespace OrtDiffusion.IO;

/// <summary>
/// Writes files so that a reader sees either the previous content or the complete new
/// content, never a partial file: the data goes to a temporary file in the target's folder,
/// is flushed to disk, and then renamed over the target. If anything fails (including
/// cancellation) the temporary file is deleted and the target is left untouched.
/// </summary>
/// <remarks>Every file the library writes goes through this class.</remarks>
public static class AtomicFile
{
    /// <summary>Writes <paramref name="path"/> atomically with the bytes <paramref name="write"/> puts into the stream.</summary>
    /// <param name="path">The file to create or replace. Its folder must exist.</param>
    /// <param name="write">Writes the content. The stream is closed by this method.</param>
    /// <param name="cancellationToken">Checked before writing and again before the rename.</param>
    /// <exception cref="DirectoryNotFoundException">The folder of <paramref name="path"/> does not exist.</exception>
    public static void Write(string path, Action<Stream> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = CheckTarget(path);
        cancellationToken.ThrowIfCancellationRequested();
        string temp = CreateTempPath(fullPath);
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Asynchronous form of <see cref="Write(string, Action{Stream}, CancellationToken)"/>.</summary>
    /// <param name="path">The file to create or replace. Its folder must exist.</param>
    /// <param name="write">Writes the content; receives <paramref name="cancellationToken"/>.</param>
    /// <param name="cancellationToken">Passed to <paramref name="write"/> and checked before the rename.</param>
    public static async Task WriteAsync(string path, Func<Stream, CancellationToken, Task> write, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(write);
        string fullPath = CheckTarget(path);
        cancellationToken.ThrowIfCancellationRequested();
        string temp = CreateTempPath(fullPath);
        try
        {
            var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 65536, useAsync: true);
            await using (stream.ConfigureAwait(false))
            {
                await write(stream, cancellationToken).ConfigureAwait(false);
                await stream.FlushAsync(cancellationToken).ConfigureAwait(false);
                stream.Flush(flushToDisk: true);
            }
            cancellationToken.ThrowIfCancellationRequested();
            File.Move(temp, fullPath, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    /// <summary>Atomically writes <paramref name="bytes"/> to <paramref name="path"/>.</summary>
    /// <param name="path">The file to create or replace. Its folder must exist.</param>
    /// <param name="bytes">The complete new content.</param>
    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        // A span cannot be captured by the lambda, so copy once; files written this way are small.
        byte[] copy = bytes.ToArray();
        Write(path, stream => stream.Write(copy));
    }

    /// <summary>Atomically writes <paramref name="text"/> to <paramref name="path"/>.</summary>
    /// <param name="path">The file to create or replace. Its folder must exist.</param>
    /// <param name="text">The complete new content.</param>
    /// <param name="encoding">The encoding; UTF-8 without a byte-order mark when null.</param>
    public static void WriteAllText(string path, string text, Encoding? encoding = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        var enc = encoding ?? new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, enc, bufferSize: 65536, leaveOpen: true);
            writer.Write(text);
        });
    }

    private static string CheckTarget(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string fullPath = Path.GetFullPath(path);
        if (Directory.Exists(fullPath))
            throw new IOException($"Cannot write '{fullPath}': a directory with that name exists.");
        string? folder = Path.GetDirectoryName(fullPath);
        if (folder is null || !Directory.Exists(folder))
            throw new DirectoryNotFoundException($"Cannot write '{fullPath}': the folder '{folder}' does not exist.");
        return fullPath;
    }

    /// <summary>The temporary file sits next to the target so the final rename never crosses file systems.</summary>
    internal static string CreateTempPath(string fullPath)
    {
        string folder = Path.GetDirectoryName(fullPath)!;
        string name = Path.GetFileName(fullPath);
        return Path.Combine(folder, $".{name}.{Guid.NewGuid():N}.tmp");
    }

    private static void TryDelete(string temp)
    {
        try
        {
            File.Delete(temp);
        }
        catch (IOException)
        {
            // The original exception matters more than a leftover temporary file.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
