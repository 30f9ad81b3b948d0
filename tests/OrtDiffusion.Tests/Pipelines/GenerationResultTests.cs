using OrtDiffusion.Imaging;
using OrtDiffusion.Pipelines;
using OrtDiffusion.Tensors;

namespace OrtDiffusion.Tests.Pipelines;

public sealed class GenerationResultTests
{
    [Fact]
    public void Images_in_zero_to_one_are_half_plus_half_and_clamped_as_diffusers_returns_them()
    {
        // Decoder output in [-1, 1] with overshoot both ways; diffusers: (x / 2 + 0.5).clamp(0, 1).
        var images = new FloatTensor([-1.5f, -1f, 0f, 0.5f, 1f, 1.25f], 1, 1, 2, 3);
        var embedding = FloatTensor.Zeros(1, 2, 4);
        var result = new GenerationResult(images, FloatTensor.Zeros(1, 4, 1, 1), new PromptEmbeddings(embedding, embedding), new GenerationParameters(), TimeSpan.Zero, 1, false);
        Assert.Equal([0f, 0f, 0.5f, 0.75f, 1f, 1f], result.ImagesZeroToOne().Data);
        Assert.Equal([-1.5f, -1f, 0f, 0.5f, 1f, 1.25f], result.Images.Data);
    }
}
