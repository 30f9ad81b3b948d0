using System.Text;
using OrtDiffusion.IO;

namespace OrtDiffusion.Tests.IO;

public class AtomicFileTests
{
    [Fact]
    public void WritesTheContentAndLeavesNoTemporaryFile()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "out.txt");
        AtomicFile.WriteAllText(path, "héllo");
        Assert.Equal("héllo", File.ReadAllText(path));
        Assert.Equal(Encoding.UTF8.GetBytes("héllo"), File.ReadAllBytes(path)); // no byte-order mark
        AtomicFile.WriteAllBytes(path, new byte[] { 1, 2, 3 });
        Assert.Equal(new byte[] { 1, 2, 3 }, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void AWriterThatThrowsLeavesNoFileAndNoTemporary()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "image.png");
        var error = Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[1000]);
            throw new InvalidOperationException("encoder failed");
        }));
        Assert.Equal("encoder failed", error.Message);
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void AFailedRewriteKeepsThePreviousContent()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "data.bin");
        AtomicFile.WriteAllBytes(path, new byte[] { 9, 9 });
        Assert.ThrowsAny<Exception>(() => AtomicFile.Write(path, stream =>
        {
            stream.WriteByte(1);
            throw new IOException("disk full");
        }));
        Assert.Equal(new byte[] { 9, 9 }, File.ReadAllBytes(path));
        Assert.Single(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public void CancellationDuringTheWriteLeavesNothing()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "out.bin");
        using var cts = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => AtomicFile.Write(path, stream =>
        {
            stream.WriteByte(1);
            cts.Cancel(); // cancelled after writing, before the rename
        }, cts.Token));
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));
    }

    [Fact]
    public async Task AsyncWriteCancelledLeavesNothing()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "out.bin");
        using var cts = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => AtomicFile.WriteAsync(path, async (stream, token) =>
        {
            await stream.WriteAsync(new byte[10], token);
            await cts.CancelAsync();
            token.ThrowIfCancellationRequested();
        }, cts.Token));
        Assert.Empty(Directory.GetFileSystemEntries(folder.Path));

        await AtomicFile.WriteAsync(path, (stream, token) => stream.WriteAsync(new byte[] { 4, 2 }, token).AsTask());
        Assert.Equal(new byte[] { 4, 2 }, File.ReadAllBytes(path));
    }

    [Fact]
    public void AMissingFolderIsAClearError()
    {
        using var folder = new TempFolder();
        string path = Path.Combine(folder.Path, "missing", "out.txt");
        var error = Assert.Throws<DirectoryNotFoundException>(() => AtomicFile.WriteAllText(path, "x"));
        Assert.Contains("missing", error.Message);
    }
}
