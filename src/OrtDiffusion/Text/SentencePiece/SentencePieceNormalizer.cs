using System.Text;

namespace OrtDiffusion.Text;

/// <summary>
/// SentencePiece's <c>Normalizer::Normalize</c> on UTF-8 bytes: the model's precompiled character map
/// (longest matching rule wins; user-defined pieces pass through untouched), leading, repeated and
/// trailing spaces removed, spaces written as U+2581 (▁), and a ▁ dummy prefix.
/// </summary>
internal sealed class SentencePieceNormalizer
{
    static readonly byte[] SpaceSymbol = "\u2581"u8.ToArray();
    static readonly byte[] ReplacementChar = "\uFFFD"u8.ToArray();

    readonly NormalizerSettings _spec;
    readonly bool _whitespaceAsSuffix;
    readonly PrecompiledCharsMap? _charsMap;
    readonly ByteTrie? _userDefined;

    public SentencePieceNormalizer(NormalizerSettings spec, bool treatWhitespaceAsSuffix, ByteTrie? userDefined, string source)
    {
        _spec = spec;
        _whitespaceAsSuffix = treatWhitespaceAsSuffix;
        _userDefined = userDefined;
        // Without a precompiled map SentencePiece applies no character normalization at all.
        _charsMap = spec.PrecompiledCharsMap.Length > 0 ? PrecompiledCharsMap.Parse(spec.PrecompiledCharsMap, source) : null;
    }

    /// <summary>The normalized text as UTF-8 bytes (empty for empty or all-space input).</summary>
    public byte[] Normalize(string text)
    {
        ReadOnlySpan<byte> input = Encoding.UTF8.GetBytes(text);
        var output = new List<byte>(input.Length * 3 / 2 + 4);
        if (input.IsEmpty) return [];

        if (_spec.RemoveExtraWhitespaces)
        {
            while (!input.IsEmpty)
            {
                int consumed = NormalizePrefix(input, out var piece);
                if (!(piece.Length == 1 && piece[0] == (byte)' ')) break;
                input = input[consumed..];
            }
        }
        if (input.IsEmpty) return [];

        if (!_whitespaceAsSuffix && _spec.AddDummyPrefix) AddSpace(output);

        bool isPrevSpace = _spec.RemoveExtraWhitespaces;
        while (!input.IsEmpty)
        {
            int consumed = NormalizePrefix(input, out var piece);
            if (isPrevSpace)
                while (!piece.IsEmpty && piece[0] == (byte)' ') piece = piece[1..];
            if (!piece.IsEmpty)
            {
                foreach (byte b in piece)
                {
                    if (_spec.EscapeWhitespaces && b == (byte)' ') output.AddRange(SpaceSymbol);
                    else output.Add(b);
                }
                isPrevSpace = piece[^1] == (byte)' ';
            }
            input = input[consumed..];
            if (!_spec.RemoveExtraWhitespaces) isPrevSpace = false;
        }

        if (_spec.RemoveExtraWhitespaces)
        {
            ReadOnlySpan<byte> space = _spec.EscapeWhitespaces ? SpaceSymbol : " "u8;
            while (output.Count >= space.Length && EndsWith(output, space)) output.RemoveRange(output.Count - space.Length, space.Length);
        }

        if (_whitespaceAsSuffix && _spec.AddDummyPrefix) AddSpace(output);
        return output.ToArray();
    }

    void AddSpace(List<byte> output)
    {
        if (_spec.EscapeWhitespaces) output.AddRange(SpaceSymbol);
        else output.Add((byte)' ');
    }

    static bool EndsWith(List<byte> list, ReadOnlySpan<byte> suffix)
    {
        for (int i = 0; i < suffix.Length; i++)
            if (list[list.Count - suffix.Length + i] != suffix[i]) return false;
        return true;
    }

    // Normalizer::NormalizePrefix: how many input bytes the next unit consumes, and what it becomes.
    int NormalizePrefix(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> normalized)
    {
        if (_userDefined is not null)
        {
            int n = _userDefined.LongestPrefix(input);
            if (n > 0) { normalized = input[..n]; return n; }
        }
        if (_charsMap is not null)
        {
            int n = _charsMap.LongestMatch(input, out normalized);
            if (n > 0) return n;
        }
        if (System.Text.Rune.DecodeFromUtf8(input, out _, out int length) != System.Buffers.OperationStatus.Done)
        {
            normalized = ReplacementChar; // a malformed byte becomes U+FFFD and consumes one byte
            return 1;
        }
        normalized = input[..length];
        return length;
    }
}
