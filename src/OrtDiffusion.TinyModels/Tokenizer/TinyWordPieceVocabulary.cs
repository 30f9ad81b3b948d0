namespace OrtDiffusion.TinyModels.Tokenizer;

/// <summary>
/// The zoo's BERT WordPiece vocabulary (<c>vocab.txt</c>) for the tiny ImageReward: <c>[PAD]</c> = 0, <c>[UNK]</c>,
/// <c>[CLS]</c>, <c>[SEP]</c>, <c>[MASK]</c>, ASCII punctuation, digits and letters, the same as <c>##</c>
/// continuations (so every lower-case ASCII word has a WordPiece spelling), common suffix pieces, then the prompt
/// corpus's words by frequency. BLIP appends <c>[DEC]</c> and <c>[ENC]</c> after the vocabulary (they are added
/// tokens, not lines of <c>vocab.txt</c>), so the text encoder's embedding has <see cref="EmbeddingRows"/> rows.
/// </summary>
internal sealed class TinyWordPieceVocabulary
{
    public const string Pad = "[PAD]";
    public const string Unknown = "[UNK]";
    public const string Classifier = "[CLS]";
    public const string Separator = "[SEP]";
    public const string Mask = "[MASK]";

    private static readonly string[] Suffixes = ["##es", "##ed", "##ing", "##er", "##ers", "##est", "##ly", "##ness", "##ful", "##ish"];

    private static readonly Lazy<TinyWordPieceVocabulary> Shared = new(Create);

    private TinyWordPieceVocabulary(IReadOnlyList<string> tokens) => Tokens = tokens;

    /// <summary>The vocabulary built from the built-in prompt corpus (once per process).</summary>
    public static TinyWordPieceVocabulary Default => Shared.Value;

    /// <summary>Tokens in id order (the lines of <c>vocab.txt</c>).</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Number of lines of <c>vocab.txt</c>.</summary>
    public int Size => Tokens.Count;

    /// <summary>BLIP's <c>[DEC]</c>, the first token added after the vocabulary.</summary>
    public int DecoderTokenId => Size;

    /// <summary>BLIP's <c>[ENC]</c>, which ImageReward writes over <c>[CLS]</c>.</summary>
    public int EncoderTokenId => Size + 1;

    /// <summary>Rows of the text encoder's word embedding: the vocabulary plus <c>[DEC]</c> and <c>[ENC]</c>.</summary>
    public int EmbeddingRows => Size + 2;

    /// <summary>The words of a text as BERT's basic tokenizer splits ASCII text: lower-cased, punctuation on its own.</summary>
    public static IEnumerable<string> BasicWords(string text)
    {
        var word = new System.Text.StringBuilder();
        foreach (var ch in text.ToLowerInvariant())
        {
            if (char.IsLetterOrDigit(ch))
            {
                word.Append(ch);
                continue;
            }

            if (word.Length > 0)
            {
                yield return word.ToString();
                word.Clear();
            }

            if (char.IsPunctuation(ch) || char.IsSymbol(ch))
            {
                yield return ch.ToString();
            }
        }

        if (word.Length > 0)
        {
            yield return word.ToString();
        }
    }

    private static TinyWordPieceVocabulary Create()
    {
        var tokens = new List<string> { Pad, Unknown, Classifier, Separator, Mask };
        for (var c = '!'; c <= '~'; c++)
        {
            if (!char.IsLetterOrDigit(c))
            {
                tokens.Add(c.ToString());
            }
        }

        const string alphanumerics = "0123456789abcdefghijklmnopqrstuvwxyz";
        tokens.AddRange(alphanumerics.Select(c => c.ToString()));
        tokens.AddRange(alphanumerics.Select(c => "##" + c));
        tokens.AddRange(Suffixes);

        var known = tokens.ToHashSet(StringComparer.Ordinal);
        if (known.Count != tokens.Count)
        {
            throw new InvalidOperationException("Internal error: the tiny WordPiece vocabulary repeats a token.");
        }

        var words = TinyClipVocabulary.CorpusLines()
            .SelectMany(BasicWords)
            .Where(w => !known.Contains(w))
            .GroupBy(w => w, StringComparer.Ordinal)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => g.Key);
        tokens.AddRange(words);
        return new TinyWordPieceVocabulary(tokens);
    }
}
