using OrtDiffusion.Tensors;

namespace OrtDiffusion.Pipelines;

/// <summary>
/// The conditional and unconditional text embeddings of a generation, each <c>[batch, sequence, width]</c>.
/// The unconditional one never changes; the conditional one may be replaced during sampling (DATE does so),
/// and <see cref="Version"/> counts the replacements so cached copies know when to refresh.
/// </summary>
public sealed class PromptEmbeddings
{
    /// <summary>Pairs two embeddings of the same shape.</summary>
    public PromptEmbeddings(FloatTensor conditional, FloatTensor unconditional)
    {
        ArgumentNullException.ThrowIfNull(conditional);
        ArgumentNullException.ThrowIfNull(unconditional);
        if (conditional.Shape.Length != 3)
        {
            throw new ArgumentException($"Text embeddings are [batch, sequence, width]; got {FloatTensor.ShapeText(conditional.Shape)}.", nameof(conditional));
        }

        if (!conditional.Shape.SequenceEqual(unconditional.Shape))
        {
            throw new ArgumentException(
                $"The conditional {FloatTensor.ShapeText(conditional.Shape)} and unconditional {FloatTensor.ShapeText(unconditional.Shape)} embeddings must have the same shape.",
                nameof(unconditional));
        }

        Conditional = conditional;
        Unconditional = unconditional;
    }

    /// <summary>The conditional embedding c.</summary>
    public FloatTensor Conditional { get; private set; }

    /// <summary>The unconditional embedding c_u.</summary>
    public FloatTensor Unconditional { get; }

    /// <summary>Batch size.</summary>
    public int BatchSize => Conditional.BatchSize;

    /// <summary>Incremented by every <see cref="SetConditional"/>.</summary>
    public int Version { get; private set; }

    /// <summary>Replaces the conditional embedding (same shape, finite values).</summary>
    public void SetConditional(FloatTensor conditional)
    {
        ArgumentNullException.ThrowIfNull(conditional);
        if (!conditional.Shape.SequenceEqual(Conditional.Shape))
        {
            throw new ArgumentException($"The new conditional embedding {FloatTensor.ShapeText(conditional.Shape)} must keep the shape {FloatTensor.ShapeText(Conditional.Shape)}.", nameof(conditional));
        }

        if (!conditional.IsFinite())
        {
            throw new ArgumentException("The new conditional embedding has non-finite values.", nameof(conditional));
        }

        Conditional = conditional;
        Version++;
    }

    /// <summary>A deep copy (so the original stays untouched by DATE).</summary>
    public PromptEmbeddings Clone() => new(Conditional.Clone(), Unconditional.Clone());

    /// <summary>Repeats single embeddings <c>[1, L, D]</c> for a batch.</summary>
    public static PromptEmbeddings ForBatch(FloatTensor conditional, FloatTensor unconditional, int batchSize)
    {
        ArgumentNullException.ThrowIfNull(conditional);
        ArgumentNullException.ThrowIfNull(unconditional);
        return new PromptEmbeddings(Repeat(conditional, batchSize), Repeat(unconditional, batchSize));
    }

    private static FloatTensor Repeat(FloatTensor single, int batchSize)
    {
        if (single.BatchSize == batchSize)
        {
            return single.Clone();
        }

        if (single.BatchSize != 1)
        {
            throw new ArgumentException($"Cannot repeat an embedding of batch {single.BatchSize} to {batchSize}.", nameof(single));
        }

        return FloatTensor.Concat([.. Enumerable.Repeat(single, batchSize)]);
    }
}
