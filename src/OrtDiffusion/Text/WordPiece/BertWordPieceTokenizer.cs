using System.Text;

namespace OrtDiffusion.Text;

/// <summary>
/// BERT's WordPiece tokenizer (<c>bert-base-uncased</c> <c>vocab.txt</c>, as ImageReward uses it):
/// special tokens written in the text are kept whole, the rest goes through BERT's basic tokenizer
/// (cleaning, CJK splitting, lower-casing, accent stripping, punctuation splitting) and greedy
/// longest-match-first WordPiece with <c>##</c> continuations; a word longer than 100 characters or
/// with no segmentation becomes <c>[UNK]</c>. Encodings are <c>[CLS]</c> … <c>[SEP]</c>, truncated to
/// the maximum length keeping <c>[SEP]</c>, padded with <c>[PAD]</c> and a 0/1 attention mask.
/// </summary>
/// <remarks>
/// Hugging Face's <c>BasicTokenizer</c> also applies NFC before splitting; that is not done here. For
/// the uncased vocabulary the text is decomposed (NFD) right after anyway, so the two agree except for
/// rare sequences whose lower-casing differs between composed and decomposed forms.
/// Immutable after loading and thread-safe.
/// </remarks>
public sealed class BertWordPieceTokenizer : ITextTokenizer
{
    /// <summary>The maximum length ImageReward tokenizes prompts to.</summary>
    public const int ImageRewardMaxLength = 35;

    const int MaxInputCharsPerWord = 100;

    readonly Dictionary<string, int> _vocab;
    readonly string[] _idToToken;
    readonly string[] _specialTokens;
    readonly HashSet<int> _specialIds;
    readonly bool _lowerCase;
    readonly bool _stripAccents;

    BertWordPieceTokenizer(Dictionary<string, int> vocab, string[] idToToken, string source, bool lowerCase, bool? stripAccents,
        int modelMaxLength, string cls, string sep, string pad, string unk, string mask)
    {
        if (modelMaxLength < 2) throw new ArgumentOutOfRangeException(nameof(modelMaxLength), modelMaxLength, "BERT needs room for [CLS] and [SEP].");
        _vocab = vocab;
        _idToToken = idToToken;
        _lowerCase = lowerCase;
        _stripAccents = stripAccents ?? lowerCase; // BERT strips accents whenever it lower-cases, unless told otherwise
        ModelMaxLength = modelMaxLength;
        ClsId = Require(cls, "classifier ([CLS])", source);
        SepId = Require(sep, "separator ([SEP])", source);
        PadId = Require(pad, "padding ([PAD])", source);
        UnkId = Require(unk, "unknown ([UNK])", source);
        _specialTokens = new[] { cls, sep, pad, unk, mask }.Where(vocab.ContainsKey).Distinct()
            .OrderByDescending(t => t.Length).ToArray();
        _specialIds = _specialTokens.Select(t => vocab[t]).ToHashSet();
    }

    /// <inheritdoc/>
    public int ModelMaxLength { get; }

    /// <summary>Id of <c>[CLS]</c> (101 in bert-base-uncased).</summary>
    public int ClsId { get; }

    /// <summary>Id of <c>[SEP]</c> (102).</summary>
    public int SepId { get; }

    /// <inheritdoc/>
    public int PadId { get; }

    /// <summary>Id of <c>[UNK]</c> (100).</summary>
    public int UnkId { get; }

    /// <summary>Number of lines in the vocabulary (30522 for bert-base-uncased).</summary>
    public int VocabularySize => _idToToken.Length;

    /// <summary>Loads a <c>vocab.txt</c> (one token per line; the line number is the id).</summary>
    /// <param name="vocabPath">Path of <c>vocab.txt</c>.</param>
    /// <param name="lowerCase">Lower-case the text (true for uncased models).</param>
    /// <param name="modelMaxLength">Pad/truncate length (default 35, as ImageReward).</param>
    /// <param name="stripAccents">Strip accents; by default whenever <paramref name="lowerCase"/> is set.</param>
    public static BertWordPieceTokenizer FromVocabFile(string vocabPath, bool lowerCase = true,
        int modelMaxLength = ImageRewardMaxLength, bool? stripAccents = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabPath);
        var (vocab, ids) = LoadVocab(vocabPath);
        return new BertWordPieceTokenizer(vocab, ids, vocabPath, lowerCase, stripAccents, modelMaxLength,
            "[CLS]", "[SEP]", "[PAD]", "[UNK]", "[MASK]");
    }

    /// <summary>
    /// Loads <c>vocab.txt</c> from a tokenizer folder (or a folder containing <c>tokenizer/</c>), taking
    /// <c>do_lower_case</c>, <c>strip_accents</c> and the special tokens from <c>tokenizer_config.json</c> /
    /// <c>special_tokens_map.json</c> when present. The length is not read from there (BERT says 512;
    /// ImageReward passes 35).
    /// </summary>
    public static BertWordPieceTokenizer FromFolder(string folder, int modelMaxLength = ImageRewardMaxLength)
    {
        string dir = TokenizerFolder.Resolve(folder, "vocab.txt", "BERT tokenizer");
        var config = TokenizerConfig.Load(dir);
        string path = Path.Combine(dir, "vocab.txt");
        var (vocab, ids) = LoadVocab(path);
        return new BertWordPieceTokenizer(vocab, ids, path, config.Bool("do_lower_case") ?? true, config.Bool("strip_accents"),
            modelMaxLength, config.Token("cls_token") ?? "[CLS]", config.Token("sep_token") ?? "[SEP]",
            config.Token("pad_token") ?? "[PAD]", config.Token("unk_token") ?? "[UNK]", config.Token("mask_token") ?? "[MASK]");
    }

    /// <inheritdoc/>
    public TokenizedText Encode(string text, int? maxLength = null, bool padToMaxLength = true, bool truncate = true)
    {
        int[] content = EncodeContent(text);
        int length = TokenSequence.ResolveMaxLength(maxLength, ModelMaxLength);
        return TokenSequence.Assemble([ClsId], content, [SepId], length, padToMaxLength, truncate, PadId);
    }

    /// <inheritdoc/>
    public PromptTokenCount CountTokens(string text) => new(EncodeContent(text).Length + 2, ModelMaxLength);

    /// <summary>The WordPiece ids of <paramref name="text"/> without <c>[CLS]</c>/<c>[SEP]</c>.</summary>
    public int[] EncodeContent(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        foreach (var (segment, isSpecial) in SplitSpecialTokens(text))
        {
            if (isSpecial) { ids.Add(_vocab[segment]); continue; }
            foreach (string word in BertBasicTokenizer.Tokenize(segment, _lowerCase, _stripAccents))
                AppendWordPieces(word, ids);
        }
        return ids.ToArray();
    }

    /// <summary>The WordPiece tokens (strings) of <paramref name="text"/>, without <c>[CLS]</c>/<c>[SEP]</c>.</summary>
    public string[] Tokenize(string text) => EncodeContent(text).Select(id => _idToToken[id]).ToArray();

    // Greedy longest-match-first; continuation pieces carry "##".
    void AppendWordPieces(string word, List<int> ids)
    {
        int[] starts = RuneStarts(word);
        int runes = starts.Length - 1;
        if (runes > MaxInputCharsPerWord) { ids.Add(UnkId); return; }

        int before = ids.Count;
        var sb = new StringBuilder();
        for (int start = 0; start < runes;)
        {
            int matchEnd = -1, matchId = -1;
            for (int end = runes; end > start; end--)
            {
                sb.Clear();
                if (start > 0) sb.Append("##");
                sb.Append(word, starts[start], starts[end] - starts[start]);
                if (_vocab.TryGetValue(sb.ToString(), out int id)) { matchEnd = end; matchId = id; break; }
            }
            if (matchEnd < 0)
            {
                ids.RemoveRange(before, ids.Count - before);
                ids.Add(UnkId);
                return;
            }
            ids.Add(matchId);
            start = matchEnd;
        }
    }

    static int[] RuneStarts(string word)
    {
        var starts = new List<int>(word.Length + 1);
        for (int i = 0; i < word.Length;)
        {
            starts.Add(i);
            PythonText.RuneAt(word, i, out int w);
            i += w;
        }
        starts.Add(word.Length);
        return starts.ToArray();
    }

    // Hugging Face keeps special tokens written in the text whole (exact, case-sensitive match).
    IEnumerable<(string Segment, bool IsSpecial)> SplitSpecialTokens(string text)
    {
        int start = 0;
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] != '[') continue;
            foreach (string special in _specialTokens)
            {
                if (string.CompareOrdinal(text, i, special, 0, special.Length) != 0) continue;
                if (i > start) yield return (text[start..i], false);
                yield return (special, true);
                start = i + special.Length;
                i = start - 1;
                break;
            }
        }
        if (start < text.Length) yield return (text[start..], false);
    }

    /// <inheritdoc/>
    /// <remarks>As Hugging Face's <c>BertTokenizer.decode</c>: tokens joined by spaces and " ##" removed
    /// (no clean-up of spaces before punctuation).</remarks>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = true)
    {
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (id < 0 || id >= _idToToken.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is outside the vocabulary (size {_idToToken.Length}).");
            if (skipSpecialTokens && _specialIds.Contains(id)) continue;
            tokens.Add(_idToToken[id]);
        }
        return string.Join(' ', tokens).Replace(" ##", "").Trim();
    }

    int Require(string token, string role, string source) =>
        _vocab.TryGetValue(token, out int id) ? id
            : throw new InvalidDataException($"{source}: the {role} token '{token}' is not in the vocabulary.");

    static (Dictionary<string, int>, string[]) LoadVocab(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"BERT vocabulary not found: {path}", path);
        string[] lines = File.ReadAllText(path, Encoding.UTF8).Split('\n');
        int count = lines.Length > 0 && lines[^1].Length == 0 ? lines.Length - 1 : lines.Length;
        if (count == 0) throw new InvalidDataException($"{path}: the vocabulary is empty.");
        var vocab = new Dictionary<string, int>(count, StringComparer.Ordinal);
        var tokens = new string[count];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = lines[i].TrimEnd('\r');
            vocab[tokens[i]] = i; // a repeated token keeps its last line, as transformers' load_vocab
        }
        return (vocab, tokens);
    }
}
