namespace OrtDiffusion.Ipgo;

/// <summary>A prompt whose tokens and the learned prefix and suffix do not fit in the text encoder's sequence (77 for CLIP).</summary>
public sealed class IpgoPromptTooLongException : ArgumentException
{
    /// <summary>Describes the prompt that does not fit.</summary>
    public IpgoPromptTooLongException(string prompt, int tokenCount, int prefixLength, int suffixLength, int limit)
        : base($"The prompt \"{prompt}\" has {tokenCount} tokens (start and end included); with {prefixLength} prefix and {suffixLength} suffix tokens "
               + $"that is {tokenCount + prefixLength + suffixLength}, more than the {limit} the text encoder takes. Shorten the prompt or use fewer tokens.")
    {
        Prompt = prompt;
        TokenCount = tokenCount;
        Limit = limit;
    }

    /// <summary>The prompt.</summary>
    public string Prompt { get; }

    /// <summary>Its token count with the start and end tokens.</summary>
    public int TokenCount { get; }

    /// <summary>The text encoder's sequence length.</summary>
    public int Limit { get; }
}
