using OrtDiffusion.Tensors;

namespace OrtDiffusion.Pipelines;

/// <summary>
/// The conditional and unconditional text embeddings of a generation, each <c>[batch, sequence, width]</c>, with
/// optional key masks <c>[batch, sequence]</c> (1 keep, 0 discard; T5 embeddings have them, and the negative
/// prompt's mask differs from the prompt's). The unconditional embedding never changes; the conditional one may be
/// replaced during sampling (DATE does so; the masks stay), and <see cref="Version"/> counts the replacements so
/// cached copies know when to refresh.
/// </summary>
public sealed class PromptEmbeddings
{
    /// <summary>Pairs two embeddings of the same shape, with their masks when the text encoder has them.</summary>
    /// <param name="conditional">c, <c>[batch, sequence, width]</c>.</param>
    /// <param name="unconditional">c_u, the same shape.</param>
    /// <param name="conditionalMask">c's key mask <c>[batch, sequence]</c>, or null (every position kept).</param>
    /// <param name="unconditionalMask">c_u's key mask, or null.</param>
    public PromptEmbeddings(FloatTensor conditional, FloatTensor unconditional, FloatTensor? conditionalMask = null, FloatTensor? unconditionalMask = null)
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

        CheckMask(conditionalMask, conditional, nameof(conditionalMask));
        CheckMask(unconditionalMask, conditional, nameof(unconditionalMask));
        Conditional = conditional;
        Unconditional = unconditional;
        ConditionalMask = conditionalMask;
        UnconditionalMask = unconditionalMask;
    }

    /// <summary>The conditional embedding c.</summary>
    public FloatTensor Conditional { get; private set; }

    /// <summary>The unconditional embedding c_u.</summary>
    public FloatTensor Unconditional { get; }

    /// <summary>c's key mask <c>[batch, sequence]</c>, or null when every position counts.</summary>
    public FloatTensor? ConditionalMask { get; }

    /// <summary>c_u's key mask <c>[batch, sequence]</c>, or null when every position counts.</summary>
    public FloatTensor? UnconditionalMask { get; }

    /// <summary>Whether either branch has a mask.</summary>
    public bool HasMasks => ConditionalMask is not null || UnconditionalMask is not null;

    /// <summary>Batch size.</summary>
    public int BatchSize => Conditional.BatchSize;

    /// <summary>Incremented by every <see cref="SetConditional"/>.</summary>
    public int Version { get; private set; }

    /// <summary>Replaces the conditional embedding (same shape, finite values); the masks stay.</summary>
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
    public PromptEmbeddings Clone() => new(Conditional.Clone(), Unconditional.Clone(), ConditionalMask?.Clone(), UnconditionalMask?.Clone());

    /// <summary>Repeats single embeddings <c>[1, L, D]</c> (and masks <c>[1, L]</c>) for a batch.</summary>
    public static PromptEmbeddings ForBatch(FloatTensor conditional, FloatTensor unconditional, int batchSize, FloatTensor? conditionalMask = null, FloatTensor? unconditionalMask = null)
    {
        ArgumentNullException.ThrowIfNull(conditional);
        ArgumentNullException.ThrowIfNull(unconditional);
        return new PromptEmbeddings(
            Repeat(conditional, batchSize),
            Repeat(unconditional, batchSize),
            conditionalMask is null ? null : Repeat(conditionalMask, batchSize),
            unconditionalMask is null ? null : Repeat(unconditionalMask, batchSize));
    }

    /// <summary>These embeddings and masks repeated for <paramref name="batchSize"/> (a copy even when the batch matches).</summary>
    public PromptEmbeddings ForBatch(int batchSize) => BatchSize == batchSize
        ? Clone()
        : ForBatch(Conditional, Unconditional, batchSize, ConditionalMask, UnconditionalMask);

    private static void CheckMask(FloatTensor? mask, FloatTensor embedding, string name)
    {
        if (mask is not null && (mask.Shape.Length != 2 || mask.Shape[0] != embedding.Shape[0] || mask.Shape[1] != embedding.Shape[1]))
        {
            throw new ArgumentException($"The attention mask {FloatTensor.ShapeText(mask.Shape)} must be [batch, sequence] = [{embedding.Shape[0]}, {embedding.Shape[1]}] for embeddings {FloatTensor.ShapeText(embedding.Shape)}.", name);
        }
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
