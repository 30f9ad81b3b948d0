using System.Text;

namespace OrtDiffusion.Text;

/// <summary>
/// A SentencePiece Unigram vocabulary and its Viterbi segmentation, following sentencepiece's
/// <c>unigram::Model::EncodeOptimized</c> and <c>SentencePieceProcessor</c>'s post-processing:
/// the best-scoring split into pieces over UTF-8 positions; a character no piece covers becomes
/// <c>&lt;unk&gt;</c> scored (lowest piece score − 10); runs of unknowns merge into one
/// <c>&lt;unk&gt;</c>, or, with byte fallback, each unknown byte becomes its <c>&lt;0xXX&gt;</c> piece.
/// </summary>
internal sealed class UnigramModel
{
    const float UnkPenalty = 10.0f;
    const float FloatMinNormal = 1.17549435e-38f; // C's FLT_MIN, sentencepiece's initial max score

    readonly SentencePieceEntry[] _pieces;
    readonly Dictionary<string, int> _pieceToId = new(StringComparer.Ordinal);
    readonly ByteTrie _trie = new();
    readonly int[] _byteIds = new int[256];
    readonly float _minScore = float.MaxValue;
    readonly float _maxScore = FloatMinNormal;

    public UnigramModel(SentencePieceModelFile model, string source)
    {
        _pieces = model.Pieces.ToArray();
        ByteFallback = model.Trainer.ByteFallback;
        UnkId = -1;
        Array.Fill(_byteIds, -1);
        ByteTrie? userDefined = null;

        for (int id = 0; id < _pieces.Length; id++)
        {
            var p = _pieces[id];
            if (p.Piece.Length == 0) throw new InvalidDataException($"{source}: piece {id} is empty.");
            if (!_pieceToId.TryAdd(p.Piece, id)) throw new InvalidDataException($"{source}: piece '{p.Piece}' (id {id}) is defined twice.");
            switch (p.Type)
            {
                case PieceType.Normal:
                    _minScore = Math.Min(_minScore, p.Score);
                    _maxScore = Math.Max(_maxScore, p.Score);
                    _trie.Add(Encoding.UTF8.GetBytes(p.Piece), id);
                    break;
                case PieceType.UserDefined:
                    _trie.Add(Encoding.UTF8.GetBytes(p.Piece), id);
                    (userDefined ??= new ByteTrie()).Add(Encoding.UTF8.GetBytes(p.Piece), id);
                    break;
                case PieceType.Unused:
                    _trie.Add(Encoding.UTF8.GetBytes(p.Piece), id);
                    break;
                case PieceType.Unknown:
                    if (UnkId >= 0) throw new InvalidDataException($"{source}: more than one unknown piece ('{_pieces[UnkId].Piece}' and '{p.Piece}').");
                    UnkId = id;
                    break;
                case PieceType.Byte:
                    if (!ByteFallback) throw new InvalidDataException($"{source}: byte piece '{p.Piece}' found although byte_fallback is off.");
                    int b = PieceToByte(p.Piece);
                    if (b < 0) throw new InvalidDataException($"{source}: byte piece '{p.Piece}' (id {id}) is not of the form <0xXX>.");
                    _byteIds[b] = id;
                    break;
                case PieceType.Control:
                    break;
                default:
                    throw new InvalidDataException($"{source}: piece '{p.Piece}' (id {id}) has unknown type {(int)p.Type}.");
            }
        }
        if (UnkId < 0) throw new InvalidDataException($"{source}: the model defines no unknown (<unk>) piece.");
        if (ByteFallback && Array.IndexOf(_byteIds, -1) is int missing and >= 0)
            throw new InvalidDataException($"{source}: byte_fallback is on but the byte piece <0x{missing:X2}> is missing.");
        UserDefined = userDefined;
    }

    /// <summary>Id of the unknown piece.</summary>
    public int UnkId { get; }

    /// <summary>Whether unknown characters are spelled out as byte pieces.</summary>
    public bool ByteFallback { get; }

    /// <summary>User-defined pieces (matched before normalization), or null when there are none.</summary>
    public ByteTrie? UserDefined { get; }

    /// <summary>Number of pieces.</summary>
    public int Count => _pieces.Length;

    /// <summary>The entry with id <paramref name="id"/>.</summary>
    public SentencePieceEntry this[int id] => _pieces[id];

    /// <summary>The id of <paramref name="piece"/>, or the unknown id.</summary>
    public int PieceToId(string piece) => _pieceToId.TryGetValue(piece, out int id) ? id : UnkId;

    /// <summary>True when <paramref name="piece"/> is in the vocabulary.</summary>
    public bool Contains(string piece) => _pieceToId.ContainsKey(piece);

    /// <summary>Segments normalized UTF-8 text; returns ids and, when asked, the piece strings.</summary>
    public List<int> Encode(byte[] normalized, List<string>? pieces = null)
    {
        var ids = new List<int>();
        int size = normalized.Length;
        if (size == 0) return ids;

        // Best path ending at each byte position: score, start of its last piece, id of that piece.
        var bestScore = new float[size + 1];
        var startsAt = new int[size + 1];
        var lastId = new int[size + 1];
        Array.Fill(startsAt, -1);
        float unkScore = _minScore - UnkPenalty;

        for (int start = 0; start < size;)
        {
            float scoreHere = bestScore[start];
            int charLength = Math.Min(OneCharLength(normalized[start]), size - start);
            bool hasSingleCharPiece = false;
            int node = 0;
            for (int end = start; end < size;)
            {
                node = _trie.Step(node, normalized[end++]);
                if (node < 0) break;
                int id = _trie.ValueAt(node);
                if (id < 0 || _pieces[id].Type == PieceType.Unused) continue;
                int length = end - start;
                // As sentencepiece: user-defined pieces get a bonus so they always win; the sum is taken in double.
                double score = _pieces[id].Type == PieceType.UserDefined ? length * _maxScore - 0.1 : _pieces[id].Score;
                double candidate = score + scoreHere;
                if (startsAt[end] == -1 || candidate > bestScore[end])
                {
                    bestScore[end] = (float)candidate;
                    startsAt[end] = start;
                    lastId[end] = id;
                }
                if (length == charLength) hasSingleCharPiece = true;
            }
            if (!hasSingleCharPiece)
            {
                int end = start + charLength;
                float candidate = unkScore + scoreHere;
                if (startsAt[end] == -1 || candidate > bestScore[end])
                {
                    bestScore[end] = candidate;
                    startsAt[end] = start;
                    lastId[end] = UnkId;
                }
            }
            start += charLength;
        }

        var path = new List<(int Start, int End, int Id)>();
        for (int end = size; end > 0; end = startsAt[end]) path.Add((startsAt[end], end, lastId[end]));
        path.Reverse();

        bool prevUnk = false;
        foreach (var (s, e, id) in path)
        {
            bool unk = id == UnkId;
            if (unk && ByteFallback)
            {
                for (int i = s; i < e; i++)
                {
                    ids.Add(_byteIds[normalized[i]]);
                    pieces?.Add($"<0x{normalized[i]:X2}>");
                }
            }
            else if (unk && prevUnk)
            {
                // A run of unknowns is one <unk>, as SentencePieceProcessor merges them.
                if (pieces is not null) pieces[^1] += Encoding.UTF8.GetString(normalized, s, e - s);
            }
            else
            {
                ids.Add(id);
                pieces?.Add(Encoding.UTF8.GetString(normalized, s, e - s));
            }
            prevUnk = unk;
        }
        return ids;
    }

    // sentencepiece's OneCharLen: the UTF-8 sequence length announced by a lead byte (1 for stray bytes).
    static int OneCharLength(byte lead) => (lead >> 4) switch { < 12 => 1, 12 or 13 => 2, 14 => 3, _ => 4 };

    /// <summary>The byte a <c>&lt;0xXX&gt;</c> piece stands for, or -1.</summary>
    public static int PieceToByte(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
        && IsUpperHex(piece[3]) && IsUpperHex(piece[4]) ? Convert.ToInt32(piece.Substring(3, 2), 16) : -1;

    static bool IsUpperHex(char c) => c is (>= '0' and <= '9') or (>= 'A' and <= 'F');
}
