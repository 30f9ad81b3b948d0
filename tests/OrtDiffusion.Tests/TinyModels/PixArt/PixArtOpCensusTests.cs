using OrtDiffusion.Onnx;
using OrtDiffusion.TinyModels;
using OrtDiffusion.TinyModels.PixArt;
using Xunit.Abstractions;

namespace OrtDiffusion.Tests.TinyModels.PixArt;

/// <summary>
/// The PixArt graphs use the operators of DESIGN.md's census in the forms real exports write (T5's bucketed relative
/// positions, RMS norm, adaLN-single chunks, torch 2's attention, diffusers' einsum unpatchify).
/// </summary>
public sealed class PixArtOpCensusTests(ITestOutputHelper output)
{
    // DESIGN.md, "Ops the differentiator must cover", including what reward towers and PixArt add, and the plumbing.
    private static readonly HashSet<string> Census =
    [
        "Add", "Cast", "Clip", "Concat", "Conv", "Cos", "Div", "Erf", "Expand", "Gemm", "InstanceNormalization",
        "LayerNormalization", "MatMul", "Mul", "Pad", "Pow", "ReduceMean", "Reshape", "Resize", "Sigmoid", "Sin",
        "Slice", "Softmax", "Sqrt", "Sub", "Transpose", "Unsqueeze",
        "Tanh", "Exp", "Log", "Neg", "Reciprocal", "ReduceSum", "Split", "Gather", "Squeeze", "Flatten", "Where", "Einsum", "Trilu",
        "Constant", "ConstantOfShape", "Equal", "Identity", "Shape",
    ];

    // Outside the census, on integer data only: the position grids (Range) and T5's bucketing (sign, |d|, small/large, clamp).
    private static readonly HashSet<string> IntegerOnly = ["Range", "Greater", "Less", "Abs", "Min"];

    private static IEnumerable<(string Name, OnnxModel Model)> Models()
    {
        var rows = PixArtLayout.VocabularyRows(TinyUnigramVocabulary.Default);
        foreach (var options in new[] { PixArtZooOptions.Default, new PixArtZooOptions { Opset = 14, AdditionalConditions = true, TimestepType = ElementType.Float, MaskType = ElementType.Float } })
        {
            var label = $"opset {options.Opset}{(options.AdditionalConditions ? ", 1024-px" : string.Empty)}";
            yield return ($"text_encoder ({label})", T5EncoderModel.Build(options, rows));
            yield return ($"transformer ({label})", PixArtTransformerModel.Build(options));
        }
    }

    [Fact]
    public void Every_op_on_a_float_data_path_is_in_the_census_and_the_rest_is_integer_plumbing()
    {
        foreach (var (name, model) in Models())
        {
            output.WriteLine($"{name}: {model.Graph.Node.Count} nodes: {string.Join(", ", GraphFacts.OpHistogram(model).OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key} {p.Value}"))}");
            var differentiable = GraphFacts.OnFloatDataPath(model);
            foreach (var node in model.Graph.Node)
            {
                var allowed = Census.Contains(node.OpType) || (!differentiable.Contains(node) && IntegerOnly.Contains(node.OpType));
                Assert.True(allowed, $"{name}: {node.OpType} '{node.Name}' is {(differentiable.Contains(node) ? "on a float-data path" : "off the float paths")} and not in the census.");
            }
        }
    }

    [Fact]
    public void Text_encoder_has_t5s_patterns_relative_buckets_rms_norm_gated_gelu_and_no_layer_norm()
    {
        var model = T5EncoderModel.Build(PixArtZooOptions.Default, PixArtLayout.VocabularyRows(TinyUnigramVocabulary.Default));
        var ops = GraphFacts.OpHistogram(model);
        Assert.False(ops.ContainsKey("LayerNormalization"));
        Assert.Equal(2, ops["Range"]);                          // context and memory positions, once (layer 0 only)
        Assert.Equal(1, ops["Abs"]);
        Assert.Equal(1, ops["Log"]);
        Assert.Equal(1, ops["Min"]);
        Assert.Equal(5, ops["Sqrt"]);                           // RMS norm: 2 per layer + final, never mean-centred
        Assert.Equal(2, ops["Tanh"]);                           // gelu_new per layer
        Assert.Equal(2, ops["Softmax"]);
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "ReduceMean" && model.Graph.Node.Any(m => m.OpType == "Sub" && m.Input.Contains(n.Output[0])));
        var names = model.Graph.Node.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("/encoder/block.0/layer.0/SelfAttention/q/MatMul", names);
        Assert.Contains("/encoder/block.1/layer.1/DenseReluDense/wi_0/MatMul", names);
        Assert.Single(model.Graph.Initializer, t => t.Name.EndsWith("relative_attention_bias.weight", StringComparison.Ordinal));
    }

    [Fact]
    public void Transformer_has_adaln_single_chunks_masked_cross_attention_and_an_einsum_unpatchify()
    {
        var model = PixArtTransformerModel.Build(PixArtZooOptions.Default);
        var ops = GraphFacts.OpHistogram(model);
        Assert.Equal(3, ops["Split"]);                                          // 6 chunks per block, 2 in the final layer
        Assert.Equal(4, ops["Softmax"]);                                        // self + cross per block
        Assert.Equal(5, ops["LayerNormalization"]);                             // norm1, norm2 per block, norm_out
        Assert.Equal(1, ops["Conv"]);
        var einsum = Assert.Single(model.Graph.Node, n => n.OpType == "Einsum");
        Assert.Equal("nhwpqc->nchpwq", GraphFacts.Attribute(einsum, "equation")!.S.ToStringUtf8());
        Assert.DoesNotContain(model.Graph.Node, n => n.OpType == "Tile");
        Assert.All(model.Graph.Node.Where(n => n.OpType == "Split"), n => Assert.Equal(1, GraphFacts.Attribute(n, "axis")!.I));

        // LayerNorm without affine: the exporter's constant ones and zeros stand in for weight and bias.
        foreach (var norm in model.Graph.Node.Where(n => n.OpType == "LayerNormalization"))
        {
            Assert.All(GraphFacts.ConstantFloats(model, norm.Input[1])!, v => Assert.Equal(1f, v));
            Assert.All(GraphFacts.ConstantFloats(model, norm.Input[2])!, v => Assert.Equal(0f, v));
        }

        var names = model.Graph.Node.Select(n => n.Name).ToHashSet(StringComparer.Ordinal);
        Assert.Contains("/pos_embed/proj/Conv", names);
        Assert.Contains("/adaln_single/emb/timestep_embedder/linear_1/Gemm", names);
        Assert.Contains("/adaln_single/linear/Gemm", names);
        Assert.Contains("/caption_projection/linear_2/MatMul", names);
        Assert.Contains("/transformer_blocks.1/attn2/to_k/MatMul", names);
        Assert.Contains("/transformer_blocks.0/ff/net.0/proj/MatMul", names);
        Assert.Contains("/proj_out/MatMul", names);
    }
}
