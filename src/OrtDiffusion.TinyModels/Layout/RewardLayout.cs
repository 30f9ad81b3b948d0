using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels.Models;
using OrtDiffusion.TinyModels.Tokenizer;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Layout;

/// <summary>Writes reward folders: <c>reward.json</c>, <c>model.onnx</c> and the text side (tokenizer, text model).</summary>
internal static class RewardLayout
{
    public static void Write(string folder, RewardKind kind, TinyZooOptions options)
    {
        Directory.CreateDirectory(folder);
        switch (kind)
        {
            case RewardKind.Clip:
                WriteClip(folder, options);
                break;
            case RewardKind.Aesthetic:
                RewardModels.BuildAesthetic(options).Save(Path.Combine(folder, "model.onnx"));
                new RewardManifest { Kind = RewardKind.Aesthetic, Preprocessing = Preprocessing(VisionImageSize) }.Save(folder);
                break;
            case RewardKind.ImageReward:
                WriteImageReward(folder, options);
                break;
            case RewardKind.HpsV2:
                WriteHpsV2(folder, options);
                break;
            default:
                throw new NotSupportedException($"The tiny zoo does not build a '{kind}' reward.");
        }
    }

    /// <summary>The preprocessing the zoo's reward graphs do: shorter side to <paramref name="size"/> (bilinear), centre crop, CLIP mean/std.</summary>
    public static RewardPreprocessing Preprocessing(int size) => new()
    {
        ImageSize = size,
        Mean = ClipMean,
        Std = ClipStd,
    };

    /// <summary>The ImageReward manifest; <paramref name="normalisedInGraph"/> false describes a raw-output graph.</summary>
    public static RewardManifest ImageRewardManifest(bool normalisedInGraph = true) => new()
    {
        Kind = RewardKind.ImageReward,
        TextInputs =
        [
            new RewardTextInput(ImageRewardModel.InputIdsName, RewardTextInputKind.InputIds),
            new RewardTextInput(ImageRewardModel.AttentionMaskName, RewardTextInputKind.AttentionMask),
        ],
        Tokenizer = new RewardTokenizer { Kind = RewardTokenizerKind.BertWordPiece, MaxLength = ImageRewardMaxLength },
        Preprocessing = Preprocessing(BlipImageSize),
        ScoreNormalization = RewardScoreNormalization.ImageRewardV1 with { InGraph = normalisedInGraph },
    };

    private static void WriteClip(string folder, TinyZooOptions options)
    {
        var vocabulary = TinyClipVocabulary.Default;
        TokenizerFiles.Write(Path.Combine(folder, "tokenizer"), vocabulary);
        RewardModels.BuildClipScore(options).Save(Path.Combine(folder, "model.onnx"));
        RewardModels.BuildClipText(options, vocabulary.Size).Save(Path.Combine(folder, "text_model.onnx"));
        TextTowerManifest(RewardKind.Clip, VisionImageSize).Save(folder);
    }

    private static void WriteImageReward(string folder, TinyZooOptions options)
    {
        var vocabulary = TinyWordPieceVocabulary.Default;
        WordPieceFiles.Write(Path.Combine(folder, "tokenizer"), vocabulary);
        ImageRewardModel.Build(options, vocabulary.EmbeddingRows, vocabulary.EncoderTokenId).Save(Path.Combine(folder, "model.onnx"));
        ImageRewardManifest().Save(folder);
    }

    private static void WriteHpsV2(string folder, TinyZooOptions options)
    {
        var vocabulary = TinyClipVocabulary.Default;
        TokenizerFiles.Write(Path.Combine(folder, "tokenizer"), vocabulary, TokenizerFiles.OpenClipPad);
        HpsV2Models.BuildScore(options).Save(Path.Combine(folder, "model.onnx"));
        HpsV2Models.BuildText(options, vocabulary.Size).Save(Path.Combine(folder, "text_model.onnx"));
        TextTowerManifest(RewardKind.HpsV2, HpsImageSize).Save(folder);
    }

    private static RewardManifest TextTowerManifest(RewardKind kind, int imageSize) => new()
    {
        Kind = kind,
        TextInputs = [new RewardTextInput(RewardModels.TextEmbedsName, RewardTextInputKind.TextEmbeds)],
        TextModel = new RewardTextModel(),
        Tokenizer = new RewardTokenizer { Kind = RewardTokenizerKind.ClipBpe, MaxLength = MaxTextLength },
        Preprocessing = Preprocessing(imageSize),
    };
}
