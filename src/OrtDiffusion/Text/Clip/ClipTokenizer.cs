using System.Text;
using System.Text.Json;

namespace OrtDiffusion.Text;

/// <summary>
/// CLIP's byte-level BPE tokenizer (Stable Diffusion v1.5's <c>tokenizer/</c>: <c>vocab.json</c> +
/// <c>merges.txt</c>), behaving as OpenAI's <c>simple_tokenizer.py</c> and Hugging Face's
/// <c>CLIPTokenizer</c>: whitespace collapsed and stripped, lower-cased, split by CLIP's pattern,
/// UTF-8 bytes mapped to the byte alphabet, merged by rank, wrapped in
/// <c>&lt;|startoftext|&gt;</c> … <c>&lt;|endoftext|&gt;</c>, truncated to <see cref="ModelMaxLength"/>
/// (77) with EOS kept last, and padded with the pad token.
/// </summary>
/// <remarks>
/// Not done: ftfy's <c>fix_text</c> (mojibake repair) and the double <c>html.unescape</c> of the
/// reference <c>basic_clean</c>; text that needs either is tokenized as written.
/// Immutable after loading; <see cref="Encode"/> is thread-safe (the BPE cache is concurrent).
/// </remarks>
public sealed class ClipTokenizer : ITextTokenizer
{
    /// <summary>The default maximum length of CLIP's text encoder.</summary>
    public const int DefaultModelMaxLength = 77;

    readonly Dictionary<string, int> _vocab;
    readonly string?[] _idToToken;
    readonly BytePairMerger _merger;
    readonly HashSet<int> _specialIds;
    readonly int _unkId;

    ClipTokenizer(Dictionary<string, int> vocab, BytePairMerger merger, string vocabPath,
        int modelMaxLength, string bosToken, string eosToken, string padToken, string unkToken)
    {
        if (modelMaxLength < 2) throw new ArgumentOutOfRangeException(nameof(modelMaxLength), modelMaxLength, "CLIP needs room for BOS and EOS.");
        _vocab = vocab;
        _merger = merger;
        ModelMaxLength = modelMaxLength;
        BosId = RequireToken(vocab, bosToken, "start-of-text (BOS)", vocabPath);
        EosId = RequireToken(vocab, eosToken, "end-of-text (EOS)", vocabPath);
        PadId = RequireToken(vocab, padToken, "padding", vocabPath);
        _unkId = vocab.TryGetValue(unkToken, out int unk) ? unk : EosId;
        _specialIds = [BosId, EosId, PadId];

        _idToToken = new string?[vocab.Values.Max() + 1];
        foreach (var (token, id) in vocab) _idToToken[id] = token;
    }

    /// <inheritdoc/>
    public int ModelMaxLength { get; }

    /// <summary>Id of <c>&lt;|startoftext|&gt;</c> (49406 in the OpenAI vocabulary).</summary>
    public int BosId { get; }

    /// <summary>Id of <c>&lt;|endoftext|&gt;</c> (49407 in the OpenAI vocabulary).</summary>
    public int EosId { get; }

    /// <inheritdoc/>
    public int PadId { get; }

    /// <summary>Number of entries in the vocabulary (49408 for CLIP).</summary>
    public int VocabularySize => _vocab.Count;

    /// <summary>
    /// Loads <c>vocab.json</c> and <c>merges.txt</c> from <paramref name="folder"/> (the tokenizer
    /// folder, or a model folder containing <c>tokenizer/</c>), reading the maximum length and
    /// special tokens from <c>tokenizer_config.json</c> / <c>special_tokens_map.json</c> when present.
    /// </summary>
    /// <param name="folder">Tokenizer folder or model folder.</param>
    /// <param name="modelMaxLength">Overrides the configured maximum length (default 77).</param>
    /// <param name="padToken">Overrides the configured pad token (default <c>&lt;|endoftext|&gt;</c>, as SD v1.5).</param>
    public static ClipTokenizer FromFolder(string folder, int? modelMaxLength = null, string? padToken = null)
    {
        string dir = TokenizerFolder.Resolve(folder, "vocab.json", "CLIP tokenizer");
        var config = TokenizerConfig.Load(dir);
        return Create(Path.Combine(dir, "vocab.json"), Path.Combine(dir, "merges.txt"), config, modelMaxLength, padToken);
    }

    /// <summary>Loads a tokenizer from explicit <c>vocab.json</c> and <c>merges.txt</c> paths.</summary>
    /// <param name="vocabPath">Path of <c>vocab.json</c> (token → id).</param>
    /// <param name="mergesPath">Path of <c>merges.txt</c> (a <c>#version</c> line, then merges by rank).</param>
    /// <param name="modelMaxLength">Maximum length (default 77).</param>
    /// <param name="padToken">Pad token (default <c>&lt;|endoftext|&gt;</c>).</param>
    public static ClipTokenizer FromFiles(string vocabPath, string mergesPath, int? modelMaxLength = null, string? padToken = null) =>
        Create(vocabPath, mergesPath, TokenizerConfig.Empty, modelMaxLength, padToken);

    static ClipTokenizer Create(string vocabPath, string mergesPath, TokenizerConfig config, int? modelMaxLength, string? padToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(vocabPath);
        ArgumentException.ThrowIfNullOrEmpty(mergesPath);
        var vocab = LoadVocab(vocabPath);
        var merger = BytePairMerger.Load(mergesPath);
        string eos = config.Token("eos_token") ?? ClipPreTokenizer.EndOfText;
        return new ClipTokenizer(vocab, merger, vocabPath,
            modelMaxLength ?? config.ModelMaxLength() ?? DefaultModelMaxLength,
            config.Token("bos_token") ?? ClipPreTokenizer.StartOfText,
            eos,
            padToken ?? config.Token("pad_token") ?? eos,
            config.Token("unk_token") ?? eos);
    }

    /// <inheritdoc/>
    public TokenizedText Encode(string text, int? maxLength = null, bool padToMaxLength = true, bool truncate = true)
    {
        int[] content = EncodeContent(text);
        int length = TokenSequence.ResolveMaxLength(maxLength, ModelMaxLength);
        return TokenSequence.Assemble([BosId], content, [EosId], length, padToMaxLength, truncate, PadId);
    }

    /// <summary>
    /// BOS, the prompt's tokens and EOS, with neither padding nor truncation (IPGO inserts its own
    /// tokens and needs the true length). Use <see cref="CountTokens"/> to refuse prompts that are too long.
    /// </summary>
    public TokenizedText EncodeUnpadded(string text) => Encode(text, padToMaxLength: false, truncate: false);

    /// <inheritdoc/>
    public PromptTokenCount CountTokens(string text) => new(EncodeContent(text).Length + 2, ModelMaxLength);

    /// <summary>The prompt's BPE token ids without BOS/EOS (OpenAI's <c>SimpleTokenizer.encode</c>).</summary>
    public int[] EncodeContent(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>();
        foreach (string piece in ClipPreTokenizer.Split(ClipPreTokenizer.Clean(text)))
        {
            // The pattern keeps the two special tokens whole; the reference's cache maps them to themselves.
            if (piece is ClipPreTokenizer.StartOfText or ClipPreTokenizer.EndOfText && _vocab.TryGetValue(piece, out int special))
            {
                ids.Add(special);
                continue;
            }
            foreach (string symbol in _merger.Encode(ToByteAlphabet(piece)))
                ids.Add(_vocab.TryGetValue(symbol, out int id) ? id : _unkId);
        }
        return ids.ToArray();
    }

    // UTF-8 bytes of the piece, each written as its byte-alphabet character.
    static string ToByteAlphabet(string piece) =>
        string.Create(Encoding.UTF8.GetByteCount(piece), piece, static (dst, text) =>
        {
            byte[] bytes = Encoding.UTF8.GetBytes(text);
            for (int i = 0; i < bytes.Length; i++) dst[i] = ByteLevelAlphabet.Encode(bytes[i]);
        });

    /// <inheritdoc/>
    /// <remarks>Bytes are reassembled and decoded as UTF-8 (invalid sequences become U+FFFD),
    /// <c>&lt;/w&gt;</c> becomes a space and the result is trimmed, as Hugging Face's CLIPTokenizer does.</remarks>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = true)
    {
        var bytes = new List<byte>();
        foreach (int id in ids)
        {
            if (id < 0 || id >= _idToToken.Length || _idToToken[id] is not { } token)
                throw new ArgumentOutOfRangeException(nameof(ids), id, $"Token id {id} is not in the vocabulary (size {VocabularySize}).");
            bool special = _specialIds.Contains(id);
            if (special && skipSpecialTokens) continue;
            if (special) { bytes.AddRange(Encoding.UTF8.GetBytes(token)); continue; }
            foreach (char c in token)
            {
                if (ByteLevelAlphabet.TryDecode(c, out byte b)) bytes.Add(b);
                else bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray()).Replace("</w>", " ").Trim();
    }

    static Dictionary<string, int> LoadVocab(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"CLIP tokenizer vocabulary not found: {path}", path);
        Dictionary<string, int>? vocab;
        try
        {
            vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllBytes(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a JSON object mapping token strings to integer ids ({e.Message}).", e);
        }
        if (vocab is null || vocab.Count == 0) throw new InvalidDataException($"{path}: the vocabulary is empty.");
        foreach (var (token, id) in vocab)
            if (id < 0) throw new InvalidDataException($"{path}: token '{token}' has a negative id {id}.");
        return vocab;
    }

    static int RequireToken(Dictionary<string, int> vocab, string token, string role, string vocabPath) =>
        vocab.TryGetValue(token, out int id) ? id
            : throw new InvalidDataException($"{vocabPath}: the {role} token '{token}' is not in the vocabulary.");
}
