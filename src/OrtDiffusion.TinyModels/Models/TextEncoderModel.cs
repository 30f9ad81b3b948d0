using OrtDiffusion.Onnx;
using OrtDiffusion.TinyModels.Building;
using static OrtDiffusion.TinyModels.Models.TinyArchitecture;

namespace OrtDiffusion.TinyModels.Models;

/// <summary>
/// <c>text_encoder/model.onnx</c>: <c>input_ids [batch_size, sequence_length]</c> (int32 as Optimum writes it, or
/// int64) → <c>last_hidden_state [batch_size, sequence_length, 32]</c>, <c>pooler_output [batch_size, 32]</c>.
/// </summary>
internal static class TextEncoderModel
{
    public static OnnxModel Build(TinyZooOptions options, int vocabSize)
    {
        var net = new ExportGraph("text_encoder", options.Opset, options.Seed, options.ModelType);
        var g = net.G;
        var ids = g.Input("input_ids", options.InputIdsType, "batch_size", "sequence_length");
        var (last, pooled) = ClipTextTower.Add(net, ids, vocabSize);
        g.Output(last, "last_hidden_state", net.Dtype, "batch_size", "sequence_length", TextWidth);
        g.Output(pooled, "pooler_output", net.Dtype, "batch_size", TextWidth);
        return g.ToModel(TinyZoo.Producer);
    }
}
