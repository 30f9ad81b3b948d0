namespace OrtDiffusion.Text;

/// <summary>
/// The result of encoding one prompt: token ids ready for a text encoder, the matching
/// attention mask, how many of the ids are real tokens, and whether the prompt was cut.
/// </summary>
/// <param name="Ids">Token ids, special tokens included, padding (if any) at the end.</param>
/// <param name="AttentionMask">1 for each real token (special tokens included), 0 for padding; same length as <paramref name="Ids"/>.</param>
/// <param name="TokenCount">How many leading entries of <paramref name="Ids"/> are real tokens (the number of 1s in the mask).</param>
/// <param name="Truncated">True when the prompt needed more tokens than the maximum length and some were dropped.</param>
public sealed record TokenizedText(int[] Ids, int[] AttentionMask, int TokenCount, bool Truncated)
{
    /// <summary>Number of positions (real tokens plus padding).</summary>
    public int Length => Ids.Length;

    /// <summary>The ids widened to 64-bit, for encoders whose <c>input_ids</c> are int64.</summary>
    public long[] IdsAsInt64() => Array.ConvertAll(Ids, static id => (long)id);

    /// <summary>The attention mask widened to 64-bit, for encoders whose <c>attention_mask</c> is int64.</summary>
    public long[] AttentionMaskAsInt64() => Array.ConvertAll(AttentionMask, static m => (long)m);
}

/// <summary>How many tokens a prompt needs, measured against a tokenizer's maximum length.</summary>
/// <param name="TokenCount">Tokens the whole prompt needs, special tokens (BOS/EOS, CLS/SEP) included.</param>
/// <param name="MaxLength">The tokenizer's maximum sequence length.</param>
public readonly record struct PromptTokenCount(int TokenCount, int MaxLength)
{
    /// <summary>True when encoding with truncation would drop tokens.</summary>
    public bool WouldBeTruncated => TokenCount > MaxLength;

    /// <summary>How many tokens would be dropped (0 when the prompt fits).</summary>
    public int Overflow => Math.Max(0, TokenCount - MaxLength);
}
