namespace OrtDiffusion.Text;

/// <summary>
/// A text tokenizer for a text encoder. Implementations are immutable after loading and
/// safe to use from several threads at once.
/// </summary>
public interface ITextTokenizer
{
    /// <summary>The sequence length prompts are padded and truncated to by default.</summary>
    int ModelMaxLength { get; }

    /// <summary>The id used for padding.</summary>
    int PadId { get; }

    /// <summary>
    /// Encodes <paramref name="text"/> with the model's special tokens.
    /// </summary>
    /// <param name="text">The prompt.</param>
    /// <param name="maxLength">Maximum length; <see cref="ModelMaxLength"/> when null.</param>
    /// <param name="padToMaxLength">Pad with <see cref="PadId"/> up to the maximum length (mask 0 there).</param>
    /// <param name="truncate">Drop content tokens beyond the maximum length, keeping the closing special token last.</param>
    TokenizedText Encode(string text, int? maxLength = null, bool padToMaxLength = true, bool truncate = true);

    /// <summary>How many tokens <paramref name="text"/> needs (special tokens included) and whether it fits.</summary>
    PromptTokenCount CountTokens(string text);

    /// <summary>Turns ids back into text.</summary>
    /// <param name="ids">Token ids.</param>
    /// <param name="skipSpecialTokens">Leave out special tokens such as BOS, EOS and padding.</param>
    string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = true);
}
