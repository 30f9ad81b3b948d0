using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Building;
using OrtDiffusion.Rewards;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Models;

/// <summary>
/// <c>rewards/image_reward/model.onnx</c>: <c>images [batch_size, 3, height, width]</c> in [0, 1],
/// <c>input_ids</c> and <c>attention_mask</c> int64 <c>[batch_size, 35]</c> (BERT WordPiece, as the tokenizer writes
/// them) → <c>score [batch_size]</c>: in-graph preprocessing, BLIP's ViT, BLIP's BERT cross-attending to it, the
/// CLS state through <c>mlp.layers.0/2/4/6/7</c> (no activations; dropout is the identity) and ImageReward's
/// normalisation <c>(r − mean) / std</c>.
/// </summary>
internal static class ImageRewardModel
{
    public const string InputIdsName = "input_ids";
    public const string AttentionMaskName = "attention_mask";

    /// <param name="options">Seed and opset.</param>
    /// <param name="embeddingRows">Rows of the word embedding: the WordPiece vocabulary plus BLIP's <c>[DEC]</c> and <c>[ENC]</c>.</param>
    /// <param name="encoderTokenId">The id of <c>[ENC]</c>.</param>
    /// <param name="normaliseInGraph">False leaves the normalisation out (a raw-output export, <c>"in_graph": false</c>).</param>
    public static OnnxModel Build(TinyZooOptions options, int embeddingRows, long encoderTokenId, bool normaliseInGraph = true)
    {
        var net = new ExportGraph("image_reward", options.Opset, options.Seed, ElementType.Float);
        var g = net.G;
        var images = g.Input(RewardModels.ImagesInput, ElementType.Float, "batch_size", 3, "height", "width");
        var ids = g.Input(InputIdsName, ElementType.Int64, "batch_size", ImageRewardMaxLength);
        var mask = g.Input(AttentionMaskName, ElementType.Int64, "batch_size", ImageRewardMaxLength);

        Value imageEmbeds;
        Value textStates;
        using (g.Scope("blip"))
        {
            imageEmbeds = BlipVisionTower.Embed(net, ClipImageTower.Preprocess(net, images, BlipImageSize));
            textStates = BlipTextEncoder.Encode(net, ids, mask, imageEmbeds, embeddingRows, encoderTokenId);
        }

        var x = g.Gather(textStates, net.I(0), axis: 1); // last_hidden_state[:, 0, :]
        int[] moduleIndex = [0, 2, 4, 6, 7];
        using (g.Scope("mlp"))
        using (g.Scope("layers"))
        {
            for (var i = 0; i < moduleIndex.Length; i++)
            {
                x = net.Gemm(x, $"mlp.layers.{moduleIndex[i]}", ImageRewardMlpWidths[i], ImageRewardMlpWidths[i + 1]);
            }
        }

        var score = g.Squeeze(x, 1);
        if (normaliseInGraph)
        {
            using (g.Scope("normalize"))
            {
                var n = RewardScoreNormalization.ImageRewardV1;
                score = g.Div(g.Sub(score, net.F((float)n.Mean)), net.F((float)n.Std));
            }
        }

        g.Output(score, RewardModels.ScoreOutput, ElementType.Float, "batch_size");
        return g.ToModel(TinyZoo.Producer);
    }
}
