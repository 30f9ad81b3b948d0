using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace OrtDiffusion.IO;

/// <summary>
/// The header of a <c>.npy</c> file: a Python dict literal such as
/// <c>{'descr': '&lt;f4', 'fortran_order': False, 'shape': (2, 3), }</c>.
/// Formatting reproduces numpy's bytes exactly (numpy 1.24: keys sorted, growth padding,
/// 64-byte alignment) so files we write are byte-identical to <c>np.save</c>'s.
/// </summary>
internal static class NpyHeader
{
    public static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    private const int Alignment = 64;          // numpy.lib.format.ARRAY_ALIGN
    private const int GrowthAxisMaxDigits = 21; // numpy.lib.format.GROWTH_AXIS_MAX_DIGITS

    public readonly record struct Parsed(string Descr, bool FortranOrder, long[] Shape);

    /// <summary>The complete prefix (magic, version, length, header text) numpy writes for this array.</summary>
    public static byte[] Format(NpyElementType type, IReadOnlyList<long> shape)
    {
        string dict = $"{{'descr': '{type.Descriptor()}', 'fortran_order': False, 'shape': {NpyArray.FormatShape(shape)}, }}";
        if (shape.Count > 0)
            dict += new string(' ', Math.Max(0, GrowthAxisMaxDigits - shape[0].ToString(CultureInfo.InvariantCulture).Length));
        byte[] text = Encoding.Latin1.GetBytes(dict);

        // Version 1.0 stores the length in 2 bytes; numpy moves to 2.0 (4 bytes) only when needed.
        foreach (int major in new[] { 1, 2 })
        {
            int lengthBytes = major == 1 ? 2 : 4;
            int prefix = Magic.Length + 2 + lengthBytes;
            int withNewline = text.Length + 1;
            int pad = Alignment - (prefix + withNewline) % Alignment;
            int headerLength = withNewline + pad;
            if (major == 1 && headerLength > ushort.MaxValue)
                continue;
            var result = new byte[prefix + headerLength];
            Magic.CopyTo(result);
            result[6] = (byte)major;
            result[7] = 0;
            if (major == 1)
                BinaryPrimitives.WriteUInt16LittleEndian(result.AsSpan(8), (ushort)headerLength);
            else
                BinaryPrimitives.WriteUInt32LittleEndian(result.AsSpan(8), (uint)headerLength);
            text.CopyTo(result, prefix);
            result.AsSpan(prefix + text.Length, pad).Fill((byte)' ');
            result[^1] = (byte)'\n';
            return result;
        }
        throw new InvalidOperationException("Unreachable: a version 2.0 header always fits.");
    }

    /// <summary>Parses the dict literal of a header. Throws <see cref="InvalidDataException"/> naming <paramref name="source"/>.</summary>
    public static Parsed Parse(string text, string source)
    {
        object? value;
        try
        {
            var parser = new PythonLiteralParser(text);
            value = parser.ParseValue();
            parser.ExpectEnd();
        }
        catch (FormatException e)
        {
            throw new InvalidDataException($"'{source}': the .npy header is not a valid Python dict literal: {e.Message} Header: {text.Trim()}");
        }
        if (value is not Dictionary<string, object?> dict)
            throw new InvalidDataException($"'{source}': the .npy header is not a dict. Header: {text.Trim()}");

        if (!dict.TryGetValue("descr", out object? descrObj))
            throw new InvalidDataException($"'{source}': the .npy header has no 'descr' key. Header: {text.Trim()}");
        if (descrObj is not string descr)
            throw new NotSupportedException($"'{source}': structured arrays (descr {PythonLiteralParser.Describe(descrObj)}) are not supported.");
        if (!dict.TryGetValue("fortran_order", out object? fortranObj) || fortranObj is not bool fortran)
            throw new InvalidDataException($"'{source}': the .npy header has no boolean 'fortran_order'. Header: {text.Trim()}");
        if (!dict.TryGetValue("shape", out object? shapeObj) || shapeObj is not List<object?> shapeList)
            throw new InvalidDataException($"'{source}': the .npy header has no tuple 'shape'. Header: {text.Trim()}");

        var shape = new long[shapeList.Count];
        for (int i = 0; i < shape.Length; i++)
        {
            if (shapeList[i] is not long dim || dim < 0)
                throw new InvalidDataException($"'{source}': the .npy shape has an invalid dimension {PythonLiteralParser.Describe(shapeList[i])}. Header: {text.Trim()}");
            shape[i] = dim;
        }
        return new Parsed(descr, fortran, shape);
    }

}
