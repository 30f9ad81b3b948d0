using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Models;

/// <summary>The reward networks: CLIP score (image side and text side) and the LAION aesthetic v2 head. Always float32.</summary>
internal static class RewardModels
{
    public const string ImagesInput = "images";
    public const string TextEmbedsName = "text_embeds";
    public const string InputIdsName = "input_ids";
    public const string ScoreOutput = "score";

    /// <summary>
    /// <c>rewards/clip/model.onnx</c>: <c>images [batch_size, 3, height, width]</c> in [0, 1] and
    /// <c>text_embeds [text_batch, 32]</c> (1 or batch_size rows) → <c>score [batch_size]</c>, the cosine of the image
    /// and text features (both normalised in the graph; no ×100 logit scale).
    /// </summary>
    public static OnnxModel BuildClipScore(TinyZooOptions options)
    {
        var net = Net("clip_score", options);
        var g = net.G;
        var images = g.Input(ImagesInput, ElementType.Float, "batch_size", 3, "height", "width");
        var text = g.Input(TextEmbedsName, ElementType.Float, "text_batch", ProjectionWidth);
        var imageFeatures = ClipImageTower.Embed(net, ClipImageTower.Preprocess(net, images));
        Value score;
        using (g.Scope("score"))
        {
            var textFeatures = ClipImageTower.L2Normalise(net, text);
            score = g.ReduceSum(g.Mul(imageFeatures, textFeatures), [-1], keepDims: false);
        }

        g.Output(score, ScoreOutput, ElementType.Float, "batch_size");
        return g.ToModel(TinyZoo.Producer);
    }

    /// <summary>
    /// <c>rewards/clip/text_model.onnx</c>: <c>input_ids int64 [batch_size, 77]</c> → <c>text_embeds [batch_size, 32]</c>,
    /// transformers' <c>CLIPTextModelWithProjection</c>: the text tower (weights shared with the SD text encoder for
    /// one seed), EOS pooling, <c>text_projection</c> MatMul, L2 normalisation.
    /// </summary>
    public static OnnxModel BuildClipText(TinyZooOptions options, int vocabSize)
    {
        var net = Net("clip_text", options);
        var g = net.G;
        var ids = g.Input(InputIdsName, ElementType.Int64, "batch_size", MaxTextLength);
        var (_, pooled) = ClipTextTower.Add(net, ids, vocabSize);
        Value projected;
        using (g.Scope("text_projection"))
        {
            projected = g.MatMul(pooled, net.Normal("text_projection.weight.T", 1 / Math.Sqrt(TextWidth), [TextWidth, ProjectionWidth]));
        }

        g.Output(ClipImageTower.L2Normalise(net, projected), TextEmbedsName, ElementType.Float, "batch_size", ProjectionWidth);
        return g.ToModel(TinyZoo.Producer);
    }

    /// <summary>
    /// <c>rewards/aesthetic/model.onnx</c>: <c>images [batch_size, 3, height, width]</c> in [0, 1] → <c>score [batch_size]</c>:
    /// CLIP image features, L2-normalised, through five <c>Linear</c> layers with no activations between them (the
    /// improved-aesthetic-predictor's <c>layers.0/2/4/6/7</c>; dropout is the identity at inference).
    /// </summary>
    public static OnnxModel BuildAesthetic(TinyZooOptions options)
    {
        var net = Net("aesthetic", options);
        var g = net.G;
        var images = g.Input(ImagesInput, ElementType.Float, "batch_size", 3, "height", "width");
        var x = ClipImageTower.Embed(net, ClipImageTower.Preprocess(net, images));
        int[] moduleIndex = [0, 2, 4, 6, 7];
        using (g.Scope("layers"))
        {
            for (var i = 0; i < moduleIndex.Length; i++)
            {
                var name = $"layers.{moduleIndex[i]}";

                x = net.Gemm(x, name, AestheticWidths[i], AestheticWidths[i + 1], biasMean: i == moduleIndex.Length - 1 ? AestheticMeanScore : 0);
            }
        }

        g.Output(g.Squeeze(x, 1), ScoreOutput, ElementType.Float, "batch_size");
        return g.ToModel(TinyZoo.Producer);
    }

    /// <summary>The aesthetic head's output bias: real LAION aesthetic scores of ordinary images sit around 5–6.</summary>
    private const double AestheticMeanScore = 5.5;

    private static ExportGraph Net(string name, TinyZooOptions options) => new(name, options.Opset, options.Seed, ElementType.Float);
}
