using Google.Protobuf;
using OrtDiffusion.Onnx.IO;

namespace OrtDiffusion.TinyModels.PixArt;

/// <summary>
/// Writes a SentencePiece <c>ModelProto</c> (sentencepiece_model.proto: pieces = 1, trainer_spec = 2,
/// normalizer_spec = 3) for a Unigram model in T5's layout, with a plain protobuf wire writer.
/// </summary>
internal static class SentencePieceModelWriter
{
    private const int Normal = 1;
    private const int Unknown = 2;
    private const int Control = 3;
    private const int Unigram = 1;

    public static void Write(string path, TinyUnigramVocabulary vocabulary) =>
        AtomicWrite.File(path, stream => stream.Write(Serialize(vocabulary)));

    public static byte[] Serialize(TinyUnigramVocabulary vocabulary)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        void Piece(string piece, float score, int type) =>
            Field(output, 1, Message(m =>
            {
                m.WriteTag(1, WireFormat.WireType.LengthDelimited);
                m.WriteString(piece);
                m.WriteTag(2, WireFormat.WireType.Fixed32);
                m.WriteFloat(score);
                if (type != Normal)
                {
                    m.WriteTag(3, WireFormat.WireType.Varint);
                    m.WriteEnum(type);
                }
            }));

        Piece(TinyUnigramVocabulary.Pad, 0, Control);
        Piece(TinyUnigramVocabulary.Eos, 0, Control);
        Piece(TinyUnigramVocabulary.Unk, 0, Unknown);
        foreach (var (piece, score) in vocabulary.Pieces)
        {
            Piece(piece, score, Normal);
        }

        // TrainerSpec: Unigram, T5's special ids (pad 0, eos 1, unk 2, no bos) and piece names.
        Field(output, 2, Message(m =>
        {
            Varint(m, 3, Unigram);
            Varint(m, 4, vocabulary.Count);
            Varint(m, 40, 2);
            Varint(m, 41, -1);
            Varint(m, 42, 1);
            Varint(m, 43, 0);
            Text(m, 45, TinyUnigramVocabulary.Unk);
            Text(m, 46, "<s>");
            Text(m, 47, TinyUnigramVocabulary.Eos);
            Text(m, 48, TinyUnigramVocabulary.Pad);
        }));

        // NormalizerSpec: no character map ("identity"), dummy prefix, whitespace collapsed and escaped as ▁.
        Field(output, 3, Message(m =>
        {
            Text(m, 1, "identity");
            Bool(m, 3, true);
            Bool(m, 4, true);
            Bool(m, 5, true);
        }));

        output.Flush();
        return buffer.ToArray();
    }

    private static byte[] Message(Action<CodedOutputStream> write)
    {
        using var buffer = new MemoryStream();
        var output = new CodedOutputStream(buffer);
        write(output);
        output.Flush();
        return buffer.ToArray();
    }

    private static void Field(CodedOutputStream output, int field, byte[] message)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(message));
    }

    private static void Varint(CodedOutputStream output, int field, int value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteInt32(value);
    }

    private static void Text(CodedOutputStream output, int field, string value)
    {
        output.WriteTag(field, WireFormat.WireType.LengthDelimited);
        output.WriteString(value);
    }

    private static void Bool(CodedOutputStream output, int field, bool value)
    {
        output.WriteTag(field, WireFormat.WireType.Varint);
        output.WriteBool(value);
    }
}
