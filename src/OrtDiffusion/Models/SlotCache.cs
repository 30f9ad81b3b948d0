using OrtDiffusion.Runtime;

namespace OrtDiffusion.Models;

/// <summary>
/// Keeps one <see cref="TensorSlot"/> per (role, type, shape) so alternating shapes — e.g. CFG's doubled batch
/// and DATE's single batch — each reuse their own buffers instead of reallocating every step.
/// </summary>
internal sealed class SlotCache : IDisposable
{
    private readonly List<(string Role, TensorSlot Slot)> slots = [];

    public TensorSlot Get(string role, TensorElementType type, ReadOnlySpan<long> shape)
    {
        foreach (var (r, slot) in slots)
        {
            if (r == role && slot.Fits(type, shape))
            {
                return slot;
            }
        }

        var created = TensorSlot.Create(type, shape.ToArray());
        slots.Add((role, created));
        return created;
    }

    public void Dispose()
    {
        foreach (var (_, slot) in slots)
        {
            slot.Dispose();
        }

        slots.Clear();
    }
}
