namespace OrtDiffusion.Runtime;

/// <summary>A read-only list that owns its items and disposes them with itself.</summary>
/// <typeparam name="T">The item type.</typeparam>
public interface IDisposableReadOnlyList<out T> : IReadOnlyList<T>, IDisposable
{
}
