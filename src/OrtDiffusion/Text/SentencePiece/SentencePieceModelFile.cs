using Google.Protobuf;

namespace OrtDiffusion.Text;

/// <summary>The kind of a SentencePiece vocabulary entry (<c>ModelProto.SentencePiece.Type</c>).</summary>
internal enum PieceType
{
    Normal = 1,
    Unknown = 2,
    Control = 3,
    UserDefined = 4,
    Unused = 5,
    Byte = 6,
}

/// <summary>One vocabulary entry: its text, log-probability score and kind.</summary>
internal readonly record struct SentencePieceEntry(string Piece, float Score, PieceType Type);

/// <summary>The <c>TrainerSpec</c> fields encoding needs (defaults as in sentencepiece_model.proto).</summary>
internal sealed class TrainerSettings
{
    public int ModelType { get; set; } = 1; // UNIGRAM
    public bool ByteFallback { get; set; }
    public bool TreatWhitespaceAsSuffix { get; set; }
    public string UnkPiece { get; set; } = "<unk>";
    public string BosPiece { get; set; } = "<s>";
    public string EosPiece { get; set; } = "</s>";
    public string PadPiece { get; set; } = "<pad>";
    public string UnkSurface { get; set; } = " \u2047 ";
}

/// <summary>The <c>NormalizerSpec</c> fields (defaults as in sentencepiece_model.proto).</summary>
internal sealed class NormalizerSettings
{
    public string Name { get; set; } = "";
    public byte[] PrecompiledCharsMap { get; set; } = [];
    public bool AddDummyPrefix { get; set; } = true;
    public bool RemoveExtraWhitespaces { get; set; } = true;
    public bool EscapeWhitespaces { get; set; } = true;
}

/// <summary>
/// Reads a SentencePiece <c>ModelProto</c> (<c>spiece.model</c>) with a plain protobuf wire reader.
/// Field numbers follow sentencepiece_model.proto; fields encoding does not need are skipped.
/// </summary>
internal sealed class SentencePieceModelFile
{
    const int UnigramModelType = 1;

    public List<SentencePieceEntry> Pieces { get; } = [];
    public TrainerSettings Trainer { get; } = new();
    public NormalizerSettings Normalizer { get; } = new();

    /// <summary>Parses <paramref name="path"/>; errors name the file.</summary>
    public static SentencePieceModelFile Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"SentencePiece model not found: {path}", path);
        byte[] bytes = File.ReadAllBytes(path);
        var model = new SentencePieceModelFile();
        try
        {
            model.ReadModel(new CodedInputStream(bytes));
        }
        catch (InvalidProtocolBufferException e)
        {
            throw new InvalidDataException($"{path}: not a SentencePiece model protobuf ({e.Message}).", e);
        }
        if (model.Pieces.Count == 0)
            throw new InvalidDataException($"{path}: the SentencePiece model has no pieces (is this really a spiece.model?).");
        if (model.Trainer.ModelType != UnigramModelType)
            throw new NotSupportedException($"{path}: SentencePiece model type {model.Trainer.ModelType} is not supported; only Unigram (1), as T5 uses.");
        return model;
    }

    void ReadModel(CodedInputStream input)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                    Pieces.Add(ReadPiece(Sub(input)));
                    break;
                case 2 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                    ReadTrainer(Sub(input));
                    break;
                case 3 when WireFormat.GetTagWireType(tag) == WireFormat.WireType.LengthDelimited:
                    ReadNormalizer(Sub(input));
                    break;
                default:
                    input.SkipLastField();
                    break;
            }
        }
    }

    static CodedInputStream Sub(CodedInputStream input) => new(input.ReadBytes().ToByteArray());

    static SentencePieceEntry ReadPiece(CodedInputStream input)
    {
        string piece = "";
        float score = 0;
        var type = PieceType.Normal;
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: piece = input.ReadString(); break;
                case 2: score = input.ReadFloat(); break;
                case 3: type = (PieceType)input.ReadEnum(); break;
                default: input.SkipLastField(); break;
            }
        }
        return new SentencePieceEntry(piece, score, type);
    }

    void ReadTrainer(CodedInputStream input)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 3: Trainer.ModelType = input.ReadEnum(); break;
                case 24: Trainer.TreatWhitespaceAsSuffix = input.ReadBool(); break;
                case 35: Trainer.ByteFallback = input.ReadBool(); break;
                case 44: Trainer.UnkSurface = input.ReadString(); break;
                case 45: Trainer.UnkPiece = input.ReadString(); break;
                case 46: Trainer.BosPiece = input.ReadString(); break;
                case 47: Trainer.EosPiece = input.ReadString(); break;
                case 48: Trainer.PadPiece = input.ReadString(); break;
                default: input.SkipLastField(); break;
            }
        }
    }

    void ReadNormalizer(CodedInputStream input)
    {
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            switch (WireFormat.GetTagFieldNumber(tag))
            {
                case 1: Normalizer.Name = input.ReadString(); break;
                case 2: Normalizer.PrecompiledCharsMap = input.ReadBytes().ToByteArray(); break;
                case 3: Normalizer.AddDummyPrefix = input.ReadBool(); break;
                case 4: Normalizer.RemoveExtraWhitespaces = input.ReadBool(); break;
                case 5: Normalizer.EscapeWhitespaces = input.ReadBool(); break;
                default: input.SkipLastField(); break;
            }
        }
    }
}
