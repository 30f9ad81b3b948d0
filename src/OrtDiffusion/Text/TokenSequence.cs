namespace OrtDiffusion.Text;

/// <summary>Wraps content ids in special tokens, truncates and pads: the part every tokenizer shares.</summary>
internal static class TokenSequence
{
    /// <summary>
    /// Builds <c>prefix + content + suffix</c>. With <paramref name="truncate"/>, content is cut so the
    /// whole fits in <paramref name="maxLength"/> and the suffix (EOS/SEP) stays last, as Hugging Face's
    /// <c>truncation=True</c> does. With <paramref name="pad"/>, <paramref name="padId"/> fills up to
    /// <paramref name="maxLength"/>.
    /// </summary>
    public static TokenizedText Assemble(
        ReadOnlySpan<int> prefix, ReadOnlySpan<int> content, ReadOnlySpan<int> suffix,
        int maxLength, bool pad, bool truncate, int padId)
    {
        int specials = prefix.Length + suffix.Length;
        if (maxLength < specials)
            throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength,
                $"Maximum length must leave room for the {specials} special token(s).");

        bool truncated = truncate && specials + content.Length > maxLength;
        if (truncated) content = content[..(maxLength - specials)];

        int count = specials + content.Length;
        int length = pad ? Math.Max(count, maxLength) : count;
        var ids = new int[length];
        var mask = new int[length];
        prefix.CopyTo(ids);
        content.CopyTo(ids.AsSpan(prefix.Length));
        suffix.CopyTo(ids.AsSpan(prefix.Length + content.Length));
        ids.AsSpan(count).Fill(padId);
        mask.AsSpan(0, count).Fill(1);
        return new TokenizedText(ids, mask, count, truncated);
    }

    /// <summary>Checks a requested maximum length.</summary>
    public static int ResolveMaxLength(int? maxLength, int modelMaxLength)
    {
        int value = maxLength ?? modelMaxLength;
        if (value <= 0)
            throw new ArgumentOutOfRangeException(nameof(maxLength), value, "Maximum length must be positive.");
        return value;
    }
}
