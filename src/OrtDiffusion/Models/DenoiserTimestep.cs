using OrtDiffusion.Runtime;

namespace OrtDiffusion.Models;

/// <summary>How denoisers read their timestep input's metadata and fill it (shared by the UNet and the transformer).</summary>
internal static class DenoiserTimestep
{
    /// <summary>The format the model's <paramref name="timestep"/> input declares.</summary>
    public static TimestepFormat FormatOf(NodeMetadata timestep, string role, string modelPath) => timestep.Rank switch
    {
        0 => TimestepFormat.FloatScalar,
        1 when timestep.ElementType is TensorElementType.Int64 or TensorElementType.Int32 => TimestepFormat.Int64PerSample,
        1 => TimestepFormat.FloatPerSample,
        _ => throw new InvalidDataException($"The {role} model '{modelPath}': timestep '{timestep.Name}' has shape {timestep.ShapeText}; expected [] or [batch]."),
    };

    /// <summary>The length a <c>[batch]</c> timestep input fixes (e.g. 1), or −1.</summary>
    public static long FixedLength(NodeMetadata timestep) => timestep.Rank == 1 ? timestep.Shape[0] : -1;

    /// <summary>The timestep slot for a batch, filled with <paramref name="timestep"/>.</summary>
    public static TensorSlot Fill(SlotCache slots, TimestepFormat format, TensorElementType type, long fixedLength, long batch, float timestep)
    {
        var slot = format == TimestepFormat.FloatScalar
            ? slots.Get("t", type, [])
            : slots.Get("t", type, [fixedLength > 0 ? fixedLength : batch]);
        slot.Fill(timestep);
        return slot;
    }
}
