using OrtDiffusion.Ipgo;
using OrtDiffusion.Tensors;
using static OrtDiffusion.Tests.Ipgo.IpgoTorchReference;

namespace OrtDiffusion.Tests.Ipgo;

/// <summary>Adam, gradient clipping, the step decay and the conformity penalty against PyTorch (Reference/ipgo_reference.py).</summary>
public sealed class OptimizerAndPenaltyTests
{
    [Fact]
    public void Adam_with_clipping_and_step_decay_follows_pytorch()
    {
        // torch.optim.Adam(lr 0.1) + clip_grad_norm_(1) + StepLR(2, 0.5) on g_t(i) = s_t·sin(0.7i + t) and s_t·cos(0.3i − t).
        float[] a = [.. Enumerable.Range(0, 6).Select(i => -1f + (0.4f * i))];
        float[] b = [.. Enumerable.Range(0, 4).Select(i => 0.5f - (i / 3f))];
        var adam = new AdamOptimizer(10);
        var rate = new StepLearningRate(0.1, 2, 0.5);
        for (var t = 0; t < AdamScales.Length; t++)
        {
            var s = AdamScales[t];
            float[] ga = [.. Enumerable.Range(0, 6).Select(i => s * MathF.Sin((0.7f * i) + t))];
            float[] gb = [.. Enumerable.Range(0, 4).Select(i => s * MathF.Cos((0.3f * i) - t))];
            Assert.Equal(AdamRates[t], rate.Current, 15);
            var norm = GradientClipping.ClipTotalNorm([ga, gb], 1.0);
            Assert.Equal(AdamNorms[t], norm, 5);
            adam.Step([a, b], [ga, gb], rate.Current);
            rate.Step();
            float[] expected = [.. AdamParameters.Skip(t * 10).Take(10)];
            float[] actual = [.. a, .. b];
            for (var i = 0; i < 10; i++)
            {
                Assert.True(Math.Abs(expected[i] - actual[i]) < 2e-6, $"step {t}, value {i}: PyTorch {expected[i]}, ours {actual[i]}");
            }
        }

        Assert.Equal(AdamScales.Length, adam.Steps);
    }

    [Fact]
    public void Clipping_leaves_small_gradients_alone_and_refuses_non_finite_ones()
    {
        float[] g = [0.3f, -0.4f];
        Assert.Equal(0.5, GradientClipping.ClipTotalNorm([g], 1.0), 6);
        Assert.Equal([0.3f, -0.4f], g);
        float[] big = [3f, 4f];
        Assert.Equal(5, GradientClipping.ClipTotalNorm([big], 1.0), 6);
        Assert.Equal(1, Math.Sqrt((big[0] * big[0]) + (big[1] * big[1])), 5);
        Assert.Throws<ArgumentException>(() => GradientClipping.ClipTotalNorm([[float.NaN]], 1.0));
    }

    [Fact]
    public void Conformity_penalty_and_gradient_equal_pytorch_and_central_differences()
    {
        var c = new FloatTensor((float[])PenaltyConditional.Clone(), 1, 9, D);
        var e = new FloatTensor(PenaltyPrompt, 1, 4, D);
        var gradient = new float[c.Length];
        var value = ConformityPenalty.Compute(c, e, gradient);
        Assert.Equal(PenaltyValue[0], value, 6);
        Assert.Equal(PenaltyGradient, gradient);

        // Central differences (away from the kinks of |·|).
        for (var i = 0; i < c.Length; i += 7)
        {
            var saved = c.Data[i];
            c.Data[i] = saved + 1e-3f;
            var plus = ConformityPenalty.Value(c, e);
            c.Data[i] = saved - 1e-3f;
            var minus = ConformityPenalty.Value(c, e);
            c.Data[i] = saved;
            Assert.Equal(gradient[i], (plus - minus) / 2e-3, 5);
        }

        // A sequence whose mean equals the prompt's costs nothing.
        Assert.Equal(0, ConformityPenalty.Value(e, e));
    }
}
