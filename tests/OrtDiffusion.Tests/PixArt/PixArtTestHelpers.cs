using OrtDiffusion.Pipelines;
using OrtDiffusion.Runtime;
using OrtDiffusion.Tensors;
using OrtDiffusion.Tests.TinyModels;

namespace OrtDiffusion.Tests.PixArt;

/// <summary>Shared pieces of the PixArt pipeline and DATE tests.</summary>
internal static class PixArtTestHelpers
{
    public static GenerationRequest Request(ulong seed = 7, int steps = 8) => new()
    {
        Prompt = "a photo of a cat",
        Steps = steps,
        Seed = seed,
        Width = 64,
        Height = 64,
        GuidanceScale = PixArtAlphaPipeline.DefaultGuidanceScale,
    };

    public static void CopyFolder(string from, string to)
    {
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, file));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(file, target, overwrite: true);
        }
    }

    public static double MaxDifference(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return a.Zip(b, (x, y) => Math.Abs((double)x - y)).Max();
    }

    /// <summary>Indices of the <c>[batch, sequence]</c> mask entries equal to <paramref name="value"/>.</summary>
    public static IEnumerable<int> Positions(FloatTensor mask, float value) => Enumerable.Range(0, mask.Length).Where(p => mask.Data[p] == value);

    /// <summary>
    /// Runs the transformer file directly (its own ONNX Runtime session, inputs built here from the metadata's element
    /// types) and returns all output channels: an independent check of what the library's wrapper feeds.
    /// </summary>
    public static float[] RunTransformer(ModelRunner runner, float[] sample, long[] sampleShape, float timestep, FloatTensor text, FloatTensor mask, float[]? resolution = null, float? aspectRatio = null)
    {
        var batch = sampleShape[0];
        runner.Float("hidden_states", sample, sampleShape);
        if (runner.Session.GetInput("timestep").ElementType == TensorElementType.Int64)
        {
            runner.Int64("timestep", [.. Enumerable.Repeat((long)timestep, (int)batch)], batch);
        }
        else
        {
            runner.Float("timestep", [.. Enumerable.Repeat(timestep, (int)batch)], batch);
        }

        runner.Float("encoder_hidden_states", text.Data, text.Shape);
        if (runner.Session.GetInput("encoder_attention_mask").ElementType == TensorElementType.Int64)
        {
            runner.Int64("encoder_attention_mask", Array.ConvertAll(mask.Data, m => (long)m), mask.Shape);
        }
        else
        {
            runner.Float("encoder_attention_mask", mask.Data, mask.Shape);
        }

        if (resolution is not null)
        {
            runner.Float("resolution", [.. Enumerable.Range(0, (int)batch).SelectMany(_ => resolution)], batch, 2);
            runner.Float("aspect_ratio", [.. Enumerable.Repeat(aspectRatio!.Value, (int)batch)], batch, 1);
        }

        return runner.Run()["out_sample"].Values;
    }
}
