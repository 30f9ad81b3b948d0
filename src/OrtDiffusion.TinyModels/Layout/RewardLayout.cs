using OrtDiffusion.TinyModels.Models;
using OrtDiffusion.TinyModels.Tokenizer;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Layout;

/// <summary>Writes reward folders: <c>reward.json</c>, <c>model.onnx</c> and, for two-tower rewards, the text side.</summary>
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
                new RewardManifest { Kind = RewardKind.Aesthetic, Preprocessing = Preprocessing() }.Save(folder);
                break;
            default:
                throw new NotSupportedException($"The tiny zoo does not build a '{kind}' reward yet (only clip and aesthetic).");
        }
    }

    /// <summary>The preprocessing every zoo reward does in its graph.</summary>
    public static RewardPreprocessing Preprocessing() => new()
    {
        ImageSize = VisionImageSize,
        Mean = ClipMean,
        Std = ClipStd,
    };

    private static void WriteClip(string folder, TinyZooOptions options)
    {
        var vocabulary = TinyClipVocabulary.Default;
        TokenizerFiles.Write(Path.Combine(folder, "tokenizer"), vocabulary);
        RewardModels.BuildClipScore(options).Save(Path.Combine(folder, "model.onnx"));
        RewardModels.BuildClipText(options, vocabulary.Size).Save(Path.Combine(folder, "text_model.onnx"));
        new RewardManifest
        {
            Kind = RewardKind.Clip,
            TextInputs = [new RewardTextInput(RewardModels.TextEmbedsName, RewardTextInputKind.TextEmbeds)],
            TextModel = new RewardTextModel(),
            Tokenizer = new RewardTokenizer { Kind = RewardTokenizerKind.ClipBpe, MaxLength = MaxTextLength },
            Preprocessing = Preprocessing(),
        }.Save(folder);
    }
}
