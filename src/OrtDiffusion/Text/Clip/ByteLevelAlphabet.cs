namespace OrtDiffusion.Text;

/// <summary>
/// GPT-2 / CLIP's reversible map from the 256 byte values to printable characters
/// (<c>bytes_to_unicode</c>): printable Latin-1 bytes map to themselves, the other 68
/// bytes to U+0100 onwards in byte order. BPE vocabularies are written in this alphabet.
/// </summary>
internal static class ByteLevelAlphabet
{
    static readonly char[] ByteToChar = Build();
    static readonly Dictionary<char, byte> CharToByte = ByteToChar.Select((c, b) => (c, b)).ToDictionary(t => t.c, t => (byte)t.b);

    static char[] Build()
    {
        var map = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            map[b] = printable ? (char)b : (char)next++;
        }
        return map;
    }

    /// <summary>The character that stands for byte <paramref name="b"/>.</summary>
    public static char Encode(byte b) => ByteToChar[b];

    /// <summary>The byte a vocabulary character stands for, or false when it is not in the alphabet.</summary>
    public static bool TryDecode(char c, out byte b) => CharToByte.TryGetValue(c, out b);
}
