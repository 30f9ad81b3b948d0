using OrtDiffusion.Onnx;
using OrtDiffusion.TinyModels;
using OrtDiffusion.TinyModels.Models;
using OrtDiffusion.TinyModels.Tokenizer;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>The zoo's graphs built in memory (no files), for structure tests over several option sets.</summary>
internal static class ZooModels
{
    public static IReadOnlyDictionary<string, OnnxModel> All(TinyZooOptions options)
    {
        var vocab = TinyClipVocabulary.Default.Size;
        var wordPiece = TinyWordPieceVocabulary.Default;
        return new Dictionary<string, OnnxModel>(StringComparer.Ordinal)
        {
            ["text_encoder"] = TextEncoderModel.Build(options, vocab),
            ["unet"] = UNetModel.Build(options),
            ["vae_decoder"] = VaeModels.BuildDecoder(options),
            ["vae_encoder"] = VaeModels.BuildEncoder(options),
            ["rewards/clip/model"] = RewardModels.BuildClipScore(options),
            ["rewards/clip/text_model"] = RewardModels.BuildClipText(options, vocab),
            ["rewards/aesthetic/model"] = RewardModels.BuildAesthetic(options),
            ["rewards/image_reward/model"] = ImageRewardModel.Build(options, wordPiece.EmbeddingRows, wordPiece.EncoderTokenId),
            ["rewards/hpsv2/model"] = HpsV2Models.BuildScore(options),
            ["rewards/hpsv2/text_model"] = HpsV2Models.BuildText(options, vocab),
        };
    }

    public static TheoryData<int> Opsets => new() { 14, 17 };
}
