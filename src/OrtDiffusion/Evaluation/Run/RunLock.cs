namespace OrtDiffusion.Evaluation;

/// <summary>
/// Keeps two processes from writing one run folder: an exclusively opened <c>.lock</c> file, released when the
/// process ends however it ends. (Two shards must write to two folders; a rerun waits for the first to stop.)
/// </summary>
internal sealed class RunLock : IDisposable
{
    private readonly FileStream stream;

    private RunLock(FileStream stream) => this.stream = stream;

    /// <exception cref="InvalidOperationException">Another process holds the folder.</exception>
    public static RunLock Acquire(string folder)
    {
        var path = Path.Combine(folder, ".lock");
        try
        {
            return new RunLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException e)
        {
            throw new InvalidOperationException($"Another ortdiff eval is writing to '{folder}' (its .lock is held). Give each shard its own --out folder.", e);
        }
    }

    public void Dispose() => stream.Dispose();
}
