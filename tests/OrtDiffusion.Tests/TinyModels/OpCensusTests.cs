using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.IO;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>
/// The zoo's graphs use the operators DESIGN.md's census of real torch.onnx exports found, in the same forms,
/// so the differentiator meets in the zoo what it will meet in real models.
/// </summary>
public sealed class OpCensusTests
{
    // DESIGN.md, "Ops the differentiator must cover": SD UNet/VAE differentiable ops, then what reward towers and PixArt add.
    private static readonly HashSet<string> Differentiable =
    [
        "Add", "Cast", "Clip", "Concat", "Conv", "Cos", "Div", "Erf", "Expand", "Gemm", "InstanceNormalization",
        "LayerNormalization", "MatMul", "Mul", "Pad", "Pow", "ReduceMean", "Reshape", "Resize", "Sigmoid", "Sin",
        "Slice", "Softmax", "Sqrt", "Sub", "Transpose", "Unsqueeze",
        "Tanh", "Exp", "Log", "Neg", "Reciprocal", "ReduceSum", "Split", "Gather", "Squeeze", "Flatten", "Where", "Einsum", "Trilu",

        // torch 1.13 writes x / x.norm(dim=-1) and F.normalize with it; the HPSv2 zoo reward uses both forms.
        "ReduceL2",
    ];

    // DESIGN.md's plumbing list.
    private static readonly HashSet<string> Plumbing = ["Constant", "ConstantOfShape", "Equal", "Gather", "Identity", "Shape", "Where"];

    // Ops of real exports outside the census that the zoo uses on integer data only (never differentiated):
    // the CLIP text tower's EOS pooling (ArgMax of the ids, Range over the batch) and the rewards' shorter side (Min of two dims).
    private static readonly HashSet<string> IntegerOnly = ["ArgMax", "Range", "Min"];

    [Theory]
    [MemberData(nameof(ZooModels.Opsets), MemberType = typeof(ZooModels))]
    public void Every_op_on_a_differentiable_path_is_in_the_census_and_the_rest_is_plumbing(int opset)
    {
        foreach (var (name, model) in ZooModels.All(new TinyZooOptions { Opset = opset }))
        {
            var differentiable = GraphFacts.OnFloatDataPath(model);
            Assert.NotEmpty(differentiable);
            foreach (var node in model.Graph.Node)
            {
                if (differentiable.Contains(node))
                {
                    Assert.True(Differentiable.Contains(node.OpType) || Plumbing.Contains(node.OpType), $"{name}: {node.OpType} '{node.Name}' is on a float-data (differentiable) path but not in the census.");
                }
                else
                {
                    Assert.True(
                        Differentiable.Contains(node.OpType) || Plumbing.Contains(node.OpType) || IntegerOnly.Contains(node.OpType),
                        $"{name}: {node.OpType} '{node.Name}' is neither in the census nor a known integer-only op.");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(ZooModels.Opsets), MemberType = typeof(ZooModels))]
    public void Census_forms_casts_are_float_to_float_softmax_on_the_last_axis_gemm_transposed_conv_group_one(int opset)
    {
        foreach (var (name, model) in ZooModels.All(new TinyZooOptions { Opset = opset }))
        {
            var differentiable = GraphFacts.OnFloatDataPath(model);
            foreach (var node in model.Graph.Node)
            {
                switch (node.OpType)
                {
                    case "Cast" when differentiable.Contains(node):
                        Assert.True(ElementTypes.IsFloatingPoint((ElementType)GraphFacts.Attribute(node, "to")!.I), $"{name}: '{node.Name}' casts differentiable data to a non-float type.");
                        break;
                    case "Softmax":
                        Assert.Equal(-1, GraphFacts.Attribute(node, "axis")!.I);
                        break;
                    case "Gemm":
                        Assert.Equal(1, GraphFacts.Attribute(node, "transB")!.I);
                        break;
                    case "Conv":
                        Assert.Equal(1, GraphFacts.Attribute(node, "group")!.I);
                        break;
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(ZooModels.Opsets), MemberType = typeof(ZooModels))]
    public void Layer_norm_is_the_operator_at_opset_17_and_the_decomposition_at_14(int opset)
    {
        foreach (var (name, model) in ZooModels.All(new TinyZooOptions { Opset = opset }))
        {
            Assert.Equal(opset, model.OpsetVersion());
            var ops = GraphFacts.OpHistogram(model);
            if (name.StartsWith("vae", StringComparison.Ordinal))
            {
                continue; // the VAE has GroupNorms only
            }

            if (opset >= 17)
            {
                Assert.True(ops.GetValueOrDefault("LayerNormalization") > 0, $"{name} has no LayerNormalization at opset 17.");
            }
            else
            {
                Assert.False(ops.ContainsKey("LayerNormalization"), $"{name} uses LayerNormalization at opset 14.");
                Assert.True(ops.GetValueOrDefault("ReduceMean") > 0 && ops.GetValueOrDefault("Sqrt") > 0, $"{name} lacks the decomposed LayerNorm.");
            }
        }
    }

    [Fact]
    public void Unet_and_vae_upsample_by_nearest_resize_with_scales_1_1_2_2_and_rewards_resize_bilinear_from_computed_sizes()
    {
        foreach (var (name, model) in ZooModels.All(TinyZooOptions.Default))
        {
            foreach (var node in model.Graph.Node.Where(n => n.OpType == "Resize"))
            {
                var mode = GraphFacts.Attribute(node, "mode")!.S.ToStringUtf8();
                var coordinates = GraphFacts.Attribute(node, "coordinate_transformation_mode")!.S.ToStringUtf8();
                if (name.StartsWith("rewards", StringComparison.Ordinal))
                {
                    Assert.Equal("linear", mode);
                    Assert.Equal("half_pixel", coordinates);
                    Assert.Equal(4, node.Input.Count);
                    Assert.Null(GraphFacts.ConstantInts(model, node.Input[3])); // sizes come from the input's Shape
                }
                else
                {
                    Assert.Equal("nearest", mode);
                    Assert.Equal("asymmetric", coordinates);
                    Assert.Equal("floor", GraphFacts.Attribute(node, "nearest_mode")!.S.ToStringUtf8());
                    Assert.Equal([1f, 1f, 2f, 2f], GraphFacts.ConstantFloats(model, node.Input[2])!);
                }
            }
        }
    }

    [Fact]
    public void Group_norm_is_reshape_0_g_minus1_instance_norm_of_ones_and_zeros_reshape_mul_add()
    {
        var model = ZooModels.All(TinyZooOptions.Default)["unet"];
        var norms = model.Graph.Node.Where(n => n.OpType == "InstanceNormalization").ToList();
        Assert.NotEmpty(norms);
        foreach (var norm in norms)
        {
            var reshape = model.Graph.Node.Single(n => n.Output.Contains(norm.Input[0]));
            Assert.Equal("Reshape", reshape.OpType);
            Assert.Equal([0L, 8, -1], GraphFacts.ConstantInts(model, reshape.Input[1])!);
            Assert.All(GraphFacts.ConstantFloats(model, norm.Input[1])!, v => Assert.Equal(1f, v));
            Assert.All(GraphFacts.ConstantFloats(model, norm.Input[2])!, v => Assert.Equal(0f, v));

            var back = model.Graph.Node.Single(n => n.Input.Contains(norm.Output[0]));
            Assert.Equal("Reshape", back.OpType);
            Assert.Equal("Shape", model.Graph.Node.Single(n => n.Output.Contains(back.Input[1])).OpType);
            var mul = model.Graph.Node.Single(n => n.Input.Contains(back.Output[0]));
            Assert.Equal("Mul", mul.OpType);
            Assert.Equal("Add", model.Graph.Node.Single(n => n.Input.Contains(mul.Output[0])).OpType);
        }
    }

    [Fact]
    public void Attention_scores_add_a_zero_constant_of_shape_term_before_softmax()
    {
        var model = ZooModels.All(TinyZooOptions.Default)["unet"];
        var softmaxes = model.Graph.Node.Where(n => n.OpType == "Softmax").ToList();
        Assert.Equal(8, softmaxes.Count); // four Transformer2D blocks (down 0, mid, up 1 ×2) × (self + cross)
        foreach (var softmax in softmaxes)
        {
            var add = model.Graph.Node.Single(n => n.Output.Contains(softmax.Input[0]));
            Assert.Equal("Add", add.OpType);
            var producers = add.Input.Select(i => model.Graph.Node.Single(n => n.Output.Contains(i))).ToList();
            Assert.Contains(producers, p => p.OpType == "Mul" && p.Input.Any(i => model.Graph.Node.Single(n => n.Output.Contains(i)).OpType == "ConstantOfShape"));
        }
    }

    [Theory]
    [MemberData(nameof(ZooModels.Opsets), MemberType = typeof(ZooModels))]
    public void The_differentiator_has_a_rule_for_every_node_on_the_paths_the_library_differentiates(int opset)
    {
        var m = ZooModels.All(new TinyZooOptions { Opset = opset });
        (string Model, string Input, string Output)[] paths =
        [
            ("unet", "encoder_hidden_states", "out_sample"), ("unet", "sample", "out_sample"),
            ("vae_decoder", "latent_sample", "sample"), ("vae_encoder", "sample", "latent_parameters"),
            ("rewards/clip/model", "images", "score"), ("rewards/aesthetic/model", "images", "score"),
            ("rewards/image_reward/model", "images", "score"), ("rewards/hpsv2/model", "images", "score"),
        ];
        foreach (var (model, input, output) in paths)
        {
            var missing = OrtDiffusion.Onnx.Autodiff.VjpBuilder.FindUnsupported(m[model], input, output);
            Assert.True(missing.Count == 0, $"{model} d{output}/d{input}: {string.Join("; ", missing)}");
        }
    }

    [Fact]
    public void Node_names_follow_torch_export_scopes()
    {
        var models = ZooModels.All(TinyZooOptions.Default);
        var unet = models["unet"].Graph.Node.Select(n => n.Name).ToHashSet();
        Assert.Contains("/conv_in/Conv", unet);
        Assert.Contains("/down_blocks.0/resnets.0/conv1/Conv", unet);
        Assert.Contains("/down_blocks.0/attentions.0/transformer_blocks.0/attn2/to_k/MatMul", unet);
        Assert.Contains("/up_blocks.0/upsamplers.0/Resize", unet);
        Assert.Contains("/time_embedding/linear_1/Gemm", unet);
        var text = models["text_encoder"].Graph.Node.Select(n => n.Name).ToHashSet();
        Assert.Contains("/encoder/layers.1/self_attn/q_proj/MatMul", text);
    }
}
