using OrtDiffusion.Onnx;
using OrtDiffusion.TinyModels;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>Input and output names, element types and (symbolic) shapes of every zoo model, per option.</summary>
public sealed class ModelContractTests
{
    private static string In(OnnxModel m, string name) => GraphFacts.Describe(GraphFacts.Input(m, name));

    private static string Out(OnnxModel m, string name) => GraphFacts.Describe(GraphFacts.Output(m, name));

    [Fact]
    public void Default_contracts_match_optimum_sd15_exports()
    {
        var m = ZooModels.All(TinyZooOptions.Default);
        Assert.Equal("int32[batch_size,sequence_length]", In(m["text_encoder"], "input_ids"));
        Assert.Equal("float[batch_size,sequence_length,32]", Out(m["text_encoder"], "last_hidden_state"));
        Assert.Equal("float[batch_size,32]", Out(m["text_encoder"], "pooler_output"));

        Assert.Equal(["sample", "timestep", "encoder_hidden_states"], m["unet"].Graph.Input.Select(i => i.Name));
        Assert.Equal("float[batch_size,4,height,width]", In(m["unet"], "sample"));
        Assert.Equal("int64[steps]", In(m["unet"], "timestep"));
        Assert.Equal("float[batch_size,sequence_length,32]", In(m["unet"], "encoder_hidden_states"));
        Assert.Equal("float[batch_size,4,height,width]", Out(m["unet"], "out_sample"));

        Assert.Equal("float[batch_size,4,height_latent,width_latent]", In(m["vae_decoder"], "latent_sample"));
        Assert.Equal("float[batch_size,3,height,width]", Out(m["vae_decoder"], "sample"));
        Assert.Equal("float[batch_size,3,height,width]", In(m["vae_encoder"], "sample"));
        Assert.Equal("float[batch_size,8,height_latent,width_latent]", Out(m["vae_encoder"], "latent_parameters"));

        Assert.Equal("float[batch_size,3,height,width]", In(m["rewards/clip/model"], "images"));
        Assert.Equal("float[text_batch,32]", In(m["rewards/clip/model"], "text_embeds"));
        Assert.Equal("float[batch_size]", Out(m["rewards/clip/model"], "score"));
        Assert.Equal("int64[batch_size,77]", In(m["rewards/clip/text_model"], "input_ids"));
        Assert.Equal("float[batch_size,32]", Out(m["rewards/clip/text_model"], "text_embeds"));
        Assert.Equal("float[batch_size,3,height,width]", In(m["rewards/aesthetic/model"], "images"));
        Assert.Equal("float[batch_size]", Out(m["rewards/aesthetic/model"], "score"));
        Assert.Single(m["rewards/aesthetic/model"].Graph.Input);
    }

    [Theory]
    [InlineData(UNetTimestepKind.Int64PerSample, "int64[steps]")]
    [InlineData(UNetTimestepKind.FloatPerSample, "float[steps]")]
    [InlineData(UNetTimestepKind.FloatScalar, "float[]")]
    public void Unet_timestep_input_follows_the_option(UNetTimestepKind kind, string expected)
    {
        var unet = ZooModels.All(new TinyZooOptions { Timestep = kind })["unet"];
        Assert.Equal(expected, In(unet, "timestep"));
    }

    [Fact]
    public void Int64_input_ids_option_changes_only_the_text_encoder_input_type()
    {
        var text = ZooModels.All(new TinyZooOptions { InputIdsType = ElementType.Int64 })["text_encoder"];
        Assert.Equal("int64[batch_size,sequence_length]", In(text, "input_ids"));
    }

    [Fact]
    public void Float16_option_makes_sd_weights_and_float_io_half_and_keeps_rewards_float()
    {
        var m = ZooModels.All(new TinyZooOptions { Float16 = true, Timestep = UNetTimestepKind.FloatPerSample });
        Assert.Equal("float16[batch_size,4,height,width]", In(m["unet"], "sample"));
        Assert.Equal("float16[steps]", In(m["unet"], "timestep"));
        Assert.Equal("float16[batch_size,4,height,width]", Out(m["unet"], "out_sample"));
        Assert.Equal("float16[batch_size,sequence_length,32]", Out(m["text_encoder"], "last_hidden_state"));
        Assert.Equal("int32[batch_size,sequence_length]", In(m["text_encoder"], "input_ids"));
        Assert.Equal("float16[batch_size,3,height,width]", Out(m["vae_decoder"], "sample"));
        foreach (var name in new[] { "text_encoder", "unet", "vae_decoder", "vae_encoder" })
        {
            Assert.All(
                m[name].Graph.Initializer.Where(t => t.DataType is (int)ElementType.Float or (int)ElementType.Float16),
                t => Assert.Equal((int)ElementType.Float16, t.DataType));
        }

        Assert.Equal("float[batch_size]", Out(m["rewards/aesthetic/model"], "score"));
    }

    [Fact]
    public void Text_embedding_table_has_one_row_per_vocabulary_entry()
    {
        var size = OrtDiffusion.TinyModels.Tokenizer.TinyClipVocabulary.Default.Size;
        var m = ZooModels.All(TinyZooOptions.Default);
        foreach (var name in new[] { "text_encoder", "rewards/clip/text_model" })
        {
            var table = m[name].FindInitializer("text_model.embeddings.token_embedding.weight");
            Assert.Equal([size, 32L], table.Dims);
        }
    }

    [Fact]
    public void Sd_text_encoder_and_clip_reward_text_tower_share_weights_like_sd15_and_clip_vit_l14()
    {
        var m = ZooModels.All(TinyZooOptions.Default);
        var encoder = m["text_encoder"].Graph.Initializer.Where(t => t.Name.StartsWith("text_model.", StringComparison.Ordinal)).ToDictionary(t => t.Name);
        var tower = m["rewards/clip/text_model"].Graph.Initializer.Where(t => t.Name.StartsWith("text_model.", StringComparison.Ordinal)).ToList();
        Assert.Equal(encoder.Count, tower.Count);
        Assert.All(tower, t => Assert.Equal(encoder[t.Name].RawData, t.RawData));
    }
}
