using OrtDiffusion.Date;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Tests.Date;
using OrtDiffusion.Tests.TinyModels;

namespace OrtDiffusion.Tests.PixArt;

/// <summary>Backbone detection from model_index.json and the one interface the CLI drives both pipelines through.</summary>
[Collection(ZooCollection.Name)]
public sealed class DiffusionModelFolderTests(ZooFixture zoo)
{
    [Fact]
    public void The_zoo_folders_are_told_apart_and_open_as_their_pipelines()
    {
        Assert.Equal(DiffusionBackbone.StableDiffusion, DiffusionModelFolder.DetectBackbone(zoo.StableDiffusion));
        Assert.Equal(DiffusionBackbone.PixArtAlpha, DiffusionModelFolder.DetectBackbone(zoo.Layout.PixArt));
        using var sd = DiffusionModelFolder.OpenPipeline(zoo.StableDiffusion);
        using var pixart = DiffusionModelFolder.OpenPipeline(zoo.Layout.PixArt);
        Assert.IsType<StableDiffusionPipeline>(sd);
        Assert.IsType<PixArtAlphaPipeline>(pixart);
        Assert.Equal("UNet", sd.Denoiser.Role);
        Assert.Equal("transformer", pixart.Denoiser.Role);
        Assert.Equal((50, 7.5f), (sd.DefaultRequest.Steps, sd.DefaultRequest.GuidanceScale));
        Assert.Equal((20, 4.5f), (pixart.DefaultRequest.Steps, pixart.DefaultRequest.GuidanceScale));
    }

    [Fact]
    public void Date_runs_through_the_interface_on_both_backbones()
    {
        using var reward = TestRewards.Aesthetic(zoo);
        foreach (var folder in new[] { zoo.StableDiffusion, zoo.Layout.PixArt })
        {
            using var pipeline = DiffusionModelFolder.OpenPipeline(folder);
            var request = pipeline.DefaultRequest with { Prompt = "a photo of a cat", Steps = 4, Width = 64, Height = 64, Seed = 1, Scheduler = "dpm++" };
            var date = new DateNoisePredictor(reward, pipeline.Decoder, request.Prompt, new DateOptions { Rho = 0.2f, Schedule = DateSchedule.Every(2) });
            var result = pipeline.Generate(request, date);
            Assert.Equal([1L, 3, 64, 64], result.Images.Shape);
            Assert.Equal(2 + (2 * 3), result.DenoiserCalls);
            Assert.Equal(2, result.Embeddings.Version);
            Assert.Equal(pipeline.Backbone == DiffusionBackbone.PixArtAlpha, result.Embeddings.HasMasks);
        }
    }

    [Theory]
    [InlineData("{\"_class_name\": \"PixArtAlphaPipeline\"}", null, DiffusionBackbone.PixArtAlpha)]
    [InlineData("{\"_class_name\": \"ORTStableDiffusionPipeline\"}", null, DiffusionBackbone.StableDiffusion)]
    [InlineData("{\"_class_name\": \"OnnxStableDiffusionPipeline\"}", "transformer", DiffusionBackbone.StableDiffusion)] // the class decides
    [InlineData("{}", "transformer", DiffusionBackbone.PixArtAlpha)]
    [InlineData("{\"_class_name\": \"SomethingElse\"}", "unet", DiffusionBackbone.StableDiffusion)]
    public void The_class_name_decides_and_the_denoiser_folder_settles_the_rest(string index, string? denoiser, DiffusionBackbone expected)
    {
        using var folder = new TempFolder("backbone");
        File.WriteAllText(folder.File("model_index.json"), index);
        if (denoiser is not null)
        {
            Directory.CreateDirectory(Path.Combine(folder.Path, denoiser));
            File.WriteAllText(Path.Combine(folder.Path, denoiser, "model.onnx"), string.Empty);
        }

        Assert.Equal(expected, DiffusionModelFolder.DetectBackbone(folder.Path));
    }

    [Fact]
    public void Unknown_and_unsupported_folders_are_refused_with_the_reason()
    {
        Assert.Throws<DirectoryNotFoundException>(() => DiffusionModelFolder.DetectBackbone("/nonexistent/model"));
        using var folder = new TempFolder("backbone-bad");
        Assert.Contains("model_index.json", Assert.Throws<FileNotFoundException>(() => DiffusionModelFolder.DetectBackbone(folder.Path)).Message);

        File.WriteAllText(folder.File("model_index.json"), "{\"_class_name\": \"StableDiffusionXLPipeline\"}");
        Assert.Contains("StableDiffusionXLPipeline", Assert.Throws<NotSupportedException>(() => DiffusionModelFolder.DetectBackbone(folder.Path)).Message);
        File.WriteAllText(folder.File("model_index.json"), "{\"_class_name\": \"PixArtSigmaPipeline\"}");
        Assert.Throws<NotSupportedException>(() => DiffusionModelFolder.DetectBackbone(folder.Path));

        File.WriteAllText(folder.File("model_index.json"), "{}");
        var neither = Assert.Throws<InvalidDataException>(() => DiffusionModelFolder.DetectBackbone(folder.Path));
        Assert.Contains("transformer/model.onnx", neither.Message);
        Assert.Contains("unet/model.onnx", neither.Message);

        File.WriteAllText(folder.File("model_index.json"), "{ not json");
        Assert.Contains("not valid JSON", Assert.Throws<InvalidDataException>(() => DiffusionModelFolder.DetectBackbone(folder.Path)).Message);
    }
}
