using System.Buffers.Binary;

namespace OrtDiffusion.Text;

/// <summary>
/// SentencePiece's precompiled normalization rules (<c>NormalizerSpec.precompiled_charsmap</c>, e.g.
/// nmt_nfkc): a little-endian uint32 trie size, a Darts-clone double-array trie over UTF-8 input
/// prefixes, then NUL-terminated replacement strings the trie's values point into. Reading the table
/// from the model reproduces the model's own normalization exactly.
/// </summary>
internal sealed class PrecompiledCharsMap
{
    readonly uint[] _units;
    readonly byte[] _replacements;

    PrecompiledCharsMap(uint[] units, byte[] replacements)
    {
        _units = units;
        _replacements = replacements;
    }

    /// <summary>Decodes the blob; <paramref name="source"/> names the model file in errors.</summary>
    public static PrecompiledCharsMap Parse(byte[] blob, string source)
    {
        if (blob.Length <= 4) throw new InvalidDataException($"{source}: precompiled_charsmap is too short ({blob.Length} bytes).");
        uint trieSize = BinaryPrimitives.ReadUInt32LittleEndian(blob);
        if (trieSize >= blob.Length - 4 || trieSize % 4 != 0 || trieSize == 0)
            throw new InvalidDataException($"{source}: precompiled_charsmap trie size {trieSize} does not fit its {blob.Length}-byte blob.");
        var units = new uint[trieSize / 4];
        for (int i = 0; i < units.Length; i++) units[i] = BinaryPrimitives.ReadUInt32LittleEndian(blob.AsSpan(4 + 4 * i));
        return new PrecompiledCharsMap(units, blob[(4 + (int)trieSize)..]);
    }

    /// <summary>
    /// The longest rule matching a prefix of <paramref name="input"/>: its length in bytes and its
    /// replacement; length 0 when no rule matches.
    /// </summary>
    public int LongestMatch(ReadOnlySpan<byte> input, out ReadOnlySpan<byte> replacement)
    {
        replacement = default;
        int bestLength = 0;
        uint bestValue = 0;
        // Darts-clone commonPrefixSearch.
        long node = Offset(Unit(0));
        for (int i = 0; i < input.Length; i++)
        {
            byte label = input[i];
            node ^= label;
            uint unit = Unit(node);
            if (Label(unit) != label) break;
            node ^= Offset(unit);
            if (HasLeaf(unit))
            {
                bestLength = i + 1;
                bestValue = Value(Unit(node));
            }
        }
        if (bestLength == 0) return 0;
        if (bestValue >= _replacements.Length) throw Corrupt();
        var tail = _replacements.AsSpan((int)bestValue);
        int nul = tail.IndexOf((byte)0);
        if (nul < 0) throw Corrupt();
        replacement = tail[..nul];
        return bestLength;
    }

    uint Unit(long index) => index >= 0 && index < _units.Length ? _units[index] : throw Corrupt();

    static bool HasLeaf(uint unit) => ((unit >> 8) & 1) == 1;
    static uint Value(uint unit) => unit & ((1u << 31) - 1);
    static uint Label(uint unit) => unit & ((1u << 31) | 0xFF);
    static long Offset(uint unit) => (unit >> 10) << (int)((unit & (1u << 9)) >> 6);

    static InvalidDataException Corrupt() => new("SentencePiece precompiled_charsmap is corrupt: the trie points outside its data.");
}
