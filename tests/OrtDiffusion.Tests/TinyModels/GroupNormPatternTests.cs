using OrtDiffusion.Onnx;
using OrtDiffusion.TinyModels.Building;

namespace OrtDiffusion.Tests.TinyModels;

/// <summary>The zoo's exported GroupNorm pattern computes GroupNorm, checked against a direct computation in C#.</summary>
public sealed class GroupNormPatternTests
{
    /// <summary>
    /// GroupNorm written out: per sample and group, mean and (biased) variance over the group's channels and all
    /// positions, <c>(x − mean) / √(var + ε)</c>, then <c>γ_c · … + β_c</c>.
    /// </summary>
    private static float[] DirectGroupNorm(float[] x, int batch, int channels, int positions, int groups, float epsilon, float[] gamma, float[] beta)
    {
        var y = new float[x.Length];
        var perGroup = channels / groups;
        for (var n = 0; n < batch; n++)
        {
            for (var g = 0; g < groups; g++)
            {
                var start = ((n * channels) + (g * perGroup)) * positions;
                var count = perGroup * positions;
                double mean = 0, variance = 0;
                for (var i = 0; i < count; i++)
                {
                    mean += x[start + i];
                }

                mean /= count;
                for (var i = 0; i < count; i++)
                {
                    variance += (x[start + i] - mean) * (x[start + i] - mean);
                }

                variance /= count;
                for (var i = 0; i < count; i++)
                {
                    var c = (g * perGroup) + (i / positions);
                    y[start + i] = (float)((gamma[c] * ((x[start + i] - mean) / Math.Sqrt(variance + epsilon))) + beta[c]);
                }
            }
        }

        return y;
    }

    [Theory]
    [InlineData(4, 1e-5f)]  // a UNet ResNet's [B, C, H, W] norm
    [InlineData(3, 1e-6f)]  // the VAE attention's [B, C, H·W] norm
    public void Exported_pattern_equals_group_norm(int rank, float epsilon)
    {
        const int batch = 2, channels = 32, groups = 8, height = 5, width = 7;
        var net = new ExportGraph("group_norm", 17, seed: 3, ElementType.Float);
        Dim[] shape = rank == 4 ? ["batch", channels, "height", "width"] : ["batch", channels, "positions"];
        var x = net.G.Input("x", ElementType.Float, shape);
        net.G.Output(net.GroupNorm(x, "norm", channels, groups, epsilon, rank), "y", ElementType.Float, shape);
        var model = net.G.ToModel();
        using var dir = new TempFolder("groupnorm");
        var path = dir.File("group_norm.onnx");
        model.Save(path);

        // Inputs with a per-channel offset and scale, so a norm over the wrong axes would show.
        var values = TestData.Normal(batch * channels * height * width, 21);
        for (var i = 0; i < values.Length; i++)
        {
            var c = i / (height * width) % channels;
            values[i] = (values[i] * (1 + (0.1f * c))) + c;
        }

        long[] dims = rank == 4 ? [batch, channels, height, width] : [batch, channels, height * width];
        using var runner = new ModelRunner(path);
        var actual = runner.Float("x", values, dims).Run()["y"].Values;
        var expected = DirectGroupNorm(values, batch, channels, height * width, groups, epsilon, model.ReadInitializerAsFloat("norm.weight"), model.ReadInitializerAsFloat("norm.bias"));
        TorchReference.AssertClose(expected, actual, 1e-5, "y");
    }
}
