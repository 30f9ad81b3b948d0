using System.Text;

namespace OrtDiffusion.Text;

/// <summary>
/// T5's SentencePiece Unigram tokenizer (PixArt-α's <c>tokenizer/spiece.model</c>), behaving as
/// sentencepiece's <c>SentencePieceProcessor.Encode</c> (which Hugging Face's slow <c>T5Tokenizer</c>
/// calls) followed by <c>&lt;/s&gt;</c>: the model's own precompiled normalization table (nmt_nfkc for
/// T5), whitespace collapsed and escaped as ▁ with a dummy prefix, Viterbi segmentation over piece
/// scores with <c>&lt;unk&gt;</c> (or byte pieces when the model has byte fallback), then EOS,
/// truncation keeping EOS, and padding with <c>&lt;pad&gt;</c> and a 0/1 attention mask.
/// </summary>
/// <remarks>
/// Not done: Hugging Face's splitting of added tokens written in the text (<c>&lt;extra_id_N&gt;</c>,
/// a literal <c>&lt;/s&gt;</c>) — they are tokenized as ordinary characters, as sentencepiece does.
/// PixArt's caption cleaning (lower-casing, URL/HTML removal) belongs to the pipeline, not here.
/// Immutable after loading and thread-safe.
/// </remarks>
public sealed class T5Tokenizer : ITextTokenizer
{
    /// <summary>The maximum length PixArt-α's pipeline pads and truncates T5 prompts to.</summary>
    public const int PixArtMaxLength = 120;

    readonly UnigramModel _model;
    readonly SentencePieceNormalizer _normalizer;
    readonly string _unkSurface;
    readonly bool _addDummyPrefix;
    readonly bool _removeExtraWhitespaces;

    T5Tokenizer(SentencePieceModelFile file, string source, int modelMaxLength)
    {
        if (modelMaxLength < 1) throw new ArgumentOutOfRangeException(nameof(modelMaxLength), modelMaxLength, "T5 needs room for EOS.");
        _model = new UnigramModel(file, source);
        _normalizer = new SentencePieceNormalizer(file.Normalizer, file.Trainer.TreatWhitespaceAsSuffix, _model.UserDefined, source);
        _unkSurface = file.Trainer.UnkSurface;
        _addDummyPrefix = file.Normalizer.AddDummyPrefix;
        _removeExtraWhitespaces = file.Normalizer.RemoveExtraWhitespaces;
        ModelMaxLength = modelMaxLength;
        EosId = RequireControl(file.Trainer.EosPiece, "end-of-sequence", source);
        PadId = RequireControl(file.Trainer.PadPiece, "padding", source);
    }

    /// <inheritdoc/>
    public int ModelMaxLength { get; }

    /// <summary>Id of <c>&lt;/s&gt;</c> (1 for T5).</summary>
    public int EosId { get; }

    /// <inheritdoc/>
    public int PadId { get; }

    /// <summary>Id of <c>&lt;unk&gt;</c> (2 for T5).</summary>
    public int UnkId => _model.UnkId;

    /// <summary>Number of pieces in the model (32000 for T5).</summary>
    public int VocabularySize => _model.Count;

    /// <summary>Whether the model spells unknown characters as UTF-8 byte pieces.</summary>
    public bool ByteFallback => _model.ByteFallback;

    /// <summary>Loads <c>spiece.model</c>.</summary>
    /// <param name="spieceModelPath">Path of the SentencePiece model file.</param>
    /// <param name="modelMaxLength">Pad/truncate length (default 120, as PixArt-α).</param>
    public static T5Tokenizer FromFile(string spieceModelPath, int modelMaxLength = PixArtMaxLength)
    {
        ArgumentException.ThrowIfNullOrEmpty(spieceModelPath);
        return new T5Tokenizer(SentencePieceModelFile.Read(spieceModelPath), spieceModelPath, modelMaxLength);
    }

    /// <summary>
    /// Loads <c>spiece.model</c> from a tokenizer folder or a model folder containing <c>tokenizer/</c>.
    /// The length is not taken from <c>tokenizer_config.json</c> (T5's says 512) because PixArt's pipeline
    /// passes its own (120).
    /// </summary>
    public static T5Tokenizer FromFolder(string folder, int modelMaxLength = PixArtMaxLength)
    {
        string dir = TokenizerFolder.Resolve(folder, "spiece.model", "T5 tokenizer");
        return FromFile(Path.Combine(dir, "spiece.model"), modelMaxLength);
    }

    /// <inheritdoc/>
    public TokenizedText Encode(string text, int? maxLength = null, bool padToMaxLength = true, bool truncate = true)
    {
        int[] content = EncodeContent(text);
        int length = TokenSequence.ResolveMaxLength(maxLength, ModelMaxLength);
        return TokenSequence.Assemble([], content, [EosId],
            length, padToMaxLength, truncate, PadId);
    }

    /// <inheritdoc/>
    public PromptTokenCount CountTokens(string text) => new(EncodeContent(text).Length + 1, ModelMaxLength);

    /// <summary>The piece ids of <paramref name="text"/> without EOS (<c>spm_encode --output_format=id</c>).</summary>
    public int[] EncodeContent(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return _model.Encode(_normalizer.Normalize(text)).ToArray();
    }

    /// <summary>The pieces of <paramref name="text"/> without EOS (<c>spm_encode --output_format=piece</c>).</summary>
    public string[] EncodeAsPieces(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var pieces = new List<string>();
        _model.Encode(_normalizer.Normalize(text), pieces);
        return pieces.ToArray();
    }

    /// <summary>The id of a piece, or <see cref="UnkId"/> when it is not in the vocabulary.</summary>
    public int PieceToId(string piece) => _model.PieceToId(piece);

    /// <summary>The piece with id <paramref name="id"/>.</summary>
    public string IdToPiece(int id) => id >= 0 && id < _model.Count ? _model[id].Piece
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"Piece id {id} is outside the vocabulary (size {_model.Count}).");

    /// <inheritdoc/>
    /// <remarks>As sentencepiece's <c>Decode</c>: ▁ becomes a space, leading ▁ of the first pieces is
    /// dropped (the dummy prefix), runs of byte pieces are reassembled as UTF-8 with U+FFFD for each
    /// invalid byte, <c>&lt;unk&gt;</c> reads as the model's unk surface (" ⁇ "), and control pieces
    /// (pad, EOS) are invisible unless <paramref name="skipSpecialTokens"/> is false.</remarks>
    public string Decode(ReadOnlySpan<int> ids, bool skipSpecialTokens = true)
    {
        var text = new StringBuilder();
        var bytes = new List<byte>();
        bool expectLeadingSpace = true, leadingSpaceSeen = false;
        foreach (int id in ids)
        {
            string piece = IdToPiece(id);
            var type = _model[id].Type;
            if (type == PieceType.Byte) { bytes.Add((byte)UnigramModel.PieceToByte(piece)); continue; }
            AppendBytes(text, bytes);
            if (leadingSpaceSeen || text.Length > 0) expectLeadingSpace = false;
            leadingSpaceSeen = false;
            switch (type)
            {
                case PieceType.Control:
                    if (!skipSpecialTokens) text.Append(piece);
                    break;
                case PieceType.Unknown:
                    text.Append(_unkSurface);
                    break;
                default:
                    if (expectLeadingSpace && (_addDummyPrefix || _removeExtraWhitespaces) && piece.StartsWith('\u2581'))
                    {
                        piece = piece[1..];
                        // With extra whitespace removed, every leading ▁ goes, not just the first.
                        leadingSpaceSeen = !_removeExtraWhitespaces;
                    }
                    text.Append(piece.Replace('\u2581', ' '));
                    break;
            }
        }
        AppendBytes(text, bytes);
        return text.ToString();
    }

    // Byte pieces as UTF-8, one U+FFFD for each byte that does not start a valid sequence.
    static void AppendBytes(StringBuilder text, List<byte> bytes)
    {
        var span = System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes);
        while (!span.IsEmpty)
        {
            if (System.Text.Rune.DecodeFromUtf8(span, out var rune, out int consumed) != System.Buffers.OperationStatus.Done)
            {
                rune = System.Text.Rune.ReplacementChar;
                consumed = 1;
            }
            text.Append(rune.ToString());
            span = span[consumed..];
        }
        bytes.Clear();
    }

    int RequireControl(string piece, string role, string source)
    {
        if (!_model.Contains(piece))
            throw new InvalidDataException($"{source}: the {role} piece '{piece}' is not in the model.");
        return _model.PieceToId(piece);
    }
}
