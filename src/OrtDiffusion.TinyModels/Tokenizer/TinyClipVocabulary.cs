using System.Reflection;

namespace OrtDiffusion.TinyModels.Tokenizer;

/// <summary>
/// The zoo's CLIP byte-level BPE vocabulary, laid out as CLIP's: the 256 byte symbols, the same with
/// <c>&lt;/w&gt;</c>, one entry per merge in rank order, then <c>&lt;|startoftext|&gt;</c> and <c>&lt;|endoftext|&gt;</c>
/// (so the end-of-text token has the highest id, which the text encoder's EOS pooling relies on).
/// </summary>
internal sealed class TinyClipVocabulary
{
    public const string StartOfText = "<|startoftext|>";
    public const string EndOfText = "<|endoftext|>";

    /// <summary>Enough merges for every corpus word to become one token; the budget only guards against a runaway corpus.</summary>
    private const int MaxMerges = 4000;

    private static readonly Lazy<TinyClipVocabulary> Shared = new(Create);

    private TinyClipVocabulary(IReadOnlyList<(string Left, string Right)> merges)
    {
        Merges = merges;
        var tokens = new List<string>(ByteAlphabet.SymbolsInVocabularyOrder);
        tokens.AddRange(ByteAlphabet.SymbolsInVocabularyOrder.Select(s => s + BpeTrainer.EndOfWord));
        tokens.AddRange(merges.Select(m => m.Left + m.Right));
        tokens.Add(StartOfText);
        tokens.Add(EndOfText);
        Tokens = tokens;
    }

    /// <summary>The vocabulary learned from the built-in prompt corpus (computed once per process).</summary>
    public static TinyClipVocabulary Default => Shared.Value;

    /// <summary>Merges in rank order.</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    /// <summary>Tokens in id order.</summary>
    public IReadOnlyList<string> Tokens { get; }

    /// <summary>Number of tokens = rows of the text encoder's embedding table.</summary>
    public int Size => Tokens.Count;

    /// <summary>The built-in corpus lines (comments and blank lines removed).</summary>
    public static IReadOnlyList<string> CorpusLines()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("OrtDiffusion.TinyModels.prompt_corpus.txt")
            ?? throw new InvalidOperationException("The tiny tokenizer's prompt corpus is missing from the OrtDiffusion.TinyModels assembly.");
        using var reader = new StreamReader(stream);
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            if (line.Length > 0 && !line.StartsWith('#'))
            {
                lines.Add(line);
            }
        }

        return lines;
    }

    private static TinyClipVocabulary Create()
    {
        var merges = BpeTrainer.Learn(CorpusLines(), MaxMerges);
        if (merges.Count >= MaxMerges)
        {
            throw new InvalidOperationException($"The tiny tokenizer corpus needs more than {MaxMerges} merges; shorten it.");
        }

        return new TinyClipVocabulary(merges);
    }
}
