using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Models;

/// <summary>The HPSv2 reward: OpenCLIP's image tower scored against text features from its text tower.</summary>
internal static class HpsV2Models
{
    /// <summary>
    /// <c>rewards/hpsv2/model.onnx</c>: <c>images [batch_size, 3, height, width]</c> in [0, 1] and
    /// <c>text_embeds [text_batch, 32]</c> (1 or batch_size rows) → <c>score [batch_size]</c>: in-graph preprocessing
    /// at 28, <c>encode_image</c>, both sides divided by their norm (<c>ReduceL2</c>, as torch exports
    /// <c>x / x.norm(dim=-1, keepdim=True)</c>), the per-image dot product (HPSv2's diagonal of <c>image @ textᵀ</c>).
    /// </summary>
    public static OnnxModel BuildScore(TinyZooOptions options)
    {
        var net = new ExportGraph("hpsv2", options.Opset, options.Seed, ElementType.Float);
        var g = net.G;
        var images = g.Input(RewardModels.ImagesInput, ElementType.Float, "batch_size", 3, "height", "width");
        var text = g.Input(RewardModels.TextEmbedsName, ElementType.Float, "text_batch", HpsEmbedWidth);
        var imageFeatures = net.DivideByNorm(OpenClipTowers.EncodeImage(net, ClipImageTower.Preprocess(net, images, HpsImageSize)));
        Value score;
        using (g.Scope("score"))
        {
            score = g.ReduceSum(g.Mul(imageFeatures, net.DivideByNorm(text)), [-1], keepDims: false);
        }

        g.Output(score, RewardModels.ScoreOutput, ElementType.Float, "batch_size");
        return g.ToModel(TinyZoo.Producer);
    }

    /// <summary>
    /// <c>rewards/hpsv2/text_model.onnx</c>: <c>input_ids int64 [batch_size, 77]</c> (CLIP BPE, padded with 0 as
    /// <c>open_clip.tokenize</c> does) → <c>text_embeds [batch_size, 32]</c>, <c>encode_text(normalize=True)</c>
    /// (<c>F.normalize</c>: ReduceL2, Clip, Expand, Div).
    /// </summary>
    public static OnnxModel BuildText(TinyZooOptions options, int vocabSize)
    {
        var net = new ExportGraph("hpsv2_text", options.Opset, options.Seed, ElementType.Float);
        var g = net.G;
        var ids = g.Input(RewardModels.InputIdsName, ElementType.Int64, "batch_size", MaxTextLength);
        g.Output(net.FNormalize(OpenClipTowers.EncodeText(net, ids, vocabSize)), RewardModels.TextEmbedsName, ElementType.Float, "batch_size", HpsEmbedWidth);
        return g.ToModel(TinyZoo.Producer);
    }
}
