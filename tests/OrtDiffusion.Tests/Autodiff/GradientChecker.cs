using OrtDiffusion.Onnx;
using OrtDiffusion.Onnx.Autodiff;

namespace OrtDiffusion.Tests.Autodiff;

/// <summary>
/// Checks a VJP graph against central finite differences of the forward graph, both run in ONNX Runtime.
/// With a random cotangent u and L(x) = Σ u·f(x) (accumulated in double), the VJP g = ∂L/∂x must satisfy
/// ⟨g, v⟩ ≈ (L(x + h v) − L(x − h v)) / 2h for random directions v and for single coordinates.
/// </summary>
internal static class GradientChecker
{
    public sealed record Result(string Input, double Analytic, double Numeric, double RelativeError, double WorstCoordinateError, VjpStatistics Statistics);

    public static IReadOnlyList<Result> Check(
        OnnxModel forward,
        string output,
        IReadOnlyDictionary<string, object> inputs,
        IReadOnlyList<string> wrt,
        int seed = 7,
        float step = 3e-3f,
        int coordinates = 4)
    {
        using var folder = new TempFolder("gradcheck");
        var vjp = VjpBuilder.Build(forward, output, wrt);
        using var forwardRunner = OrtRunner.FromModel(forward, folder, "forward.onnx");
        using var vjpRunner = OrtRunner.FromModel(vjp.Model, folder, "forward.vjp.onnx");
        return Compare(forwardRunner, vjpRunner, vjp.Statistics, output, inputs, wrt, seed, step, coordinates);
    }

    /// <summary>Checks a model file in place (its VJP is built and cached beside it, sharing external weights).</summary>
    public static IReadOnlyList<Result> CheckFile(string modelPath, string output, IReadOnlyDictionary<string, object> inputs, IReadOnlyList<string> wrt, float step = 3e-3f, int coordinates = 4)
    {
        VjpStatistics statistics = new();
        var vjpPath = VjpCache.GetOrBuild(modelPath, output, wrt, s => statistics = s);
        using var forwardRunner = new OrtRunner(modelPath);
        using var vjpRunner = new OrtRunner(vjpPath);
        return Compare(forwardRunner, vjpRunner, statistics, output, inputs, wrt, 7, step, coordinates);
    }

    private static IReadOnlyList<Result> Compare(OrtRunner forwardRunner, OrtRunner vjpRunner, VjpStatistics statistics, string output, IReadOnlyDictionary<string, object> inputs, IReadOnlyList<string> wrt, int seed, float step, int coordinates)
    {
        var rng = new Random(seed);

        var y = forwardRunner.Run(inputs, output)[output];
        var cotangent = TestTensor.Random(rng, 1f, y.Shape);
        var vjpInputs = new Dictionary<string, object>(inputs) { [output + VjpBuilder.GradSuffix] = cotangent };
        var outputs = vjpRunner.Run(vjpInputs, [output, .. wrt.Select(w => w + VjpBuilder.GradSuffix)]);
        Assert.Equal(y.Shape, outputs[output].Shape);

        // The VJP model's forward output is the forward model's, up to ORT fusing the two graphs differently.
        var yScale = Math.Max(1e-3, y.Data.Max(v => Math.Abs(v)));
        Assert.All(y.Data.Zip(outputs[output].Data), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5 * yScale, $"forward output differs: {p.First} vs {p.Second}"));

        double Loss(string name, float[] perturbed)
        {
            var changed = new Dictionary<string, object>(inputs) { [name] = ((TestTensor)inputs[name]).With(perturbed) };
            var value = forwardRunner.Run(changed, output)[output].Data;
            double sum = 0;
            for (var i = 0; i < value.Length; i++)
            {
                sum += (double)value[i] * cotangent.Data[i];
            }

            return sum;
        }

        double Numeric(string name, float[] direction)
        {
            var x = ((TestTensor)inputs[name]).Data;
            var plus = x.Select((v, i) => v + (step * direction[i])).ToArray();
            var minus = x.Select((v, i) => v - (step * direction[i])).ToArray();
            return (Loss(name, plus) - Loss(name, minus)) / (2 * step);
        }

        var results = new List<Result>();
        foreach (var name in wrt)
        {
            var x = (TestTensor)inputs[name];
            var gradient = outputs[name + VjpBuilder.GradSuffix];
            Assert.Equal(x.Shape, gradient.Shape);
            Assert.All(gradient.Data, g => Assert.True(float.IsFinite(g), $"non-finite gradient for {name}"));

            var direction = TestTensor.Random(rng, 1f, x.Shape).Data;
            var analytic = Dot(gradient.Data, direction);
            var numeric = Numeric(name, direction);

            // Relative to the larger of the two, but at least to half the gradient's norm (the typical size of a
            // directional derivative along a random direction), so a direction that happens to be nearly
            // orthogonal to the gradient does not turn float32 round-off into a large relative error.
            var norm = Math.Sqrt(Dot(gradient.Data, gradient.Data));
            var relative = Math.Abs(analytic - numeric) / Math.Max(1e-6, Math.Max(0.5 * norm, Math.Max(Math.Abs(analytic), Math.Abs(numeric))));

            // Single coordinates: error relative to the gradient's overall scale.
            var scale = Math.Max(1e-6, gradient.Data.Max(g => Math.Abs(g)));
            double worst = 0;
            for (var k = 0; k < Math.Min(coordinates, x.Data.Length); k++)
            {
                var index = rng.Next(x.Data.Length);
                var unit = new float[x.Data.Length];
                unit[index] = 1f;
                worst = Math.Max(worst, Math.Abs(Numeric(name, unit) - gradient.Data[index]) / scale);
            }

            results.Add(new Result(name, analytic, numeric, relative, worst, statistics));
        }

        return results;
    }

    /// <summary>Checks and asserts both errors are under <paramref name="tolerance"/>.</summary>
    public static IReadOnlyList<Result> AssertMatches(
        OnnxModel forward, string output, IReadOnlyDictionary<string, object> inputs, IReadOnlyList<string> wrt, double tolerance = 2e-3, float step = 3e-3f)
    {
        var results = Check(forward, output, inputs, wrt, step: step);
        foreach (var r in results)
        {
            Assert.True(
                r.RelativeError < tolerance && r.WorstCoordinateError < tolerance,
                $"{r.Input}: analytic {r.Analytic:G8} vs numeric {r.Numeric:G8} (relative error {r.RelativeError:E2}, worst coordinate {r.WorstCoordinateError:E2}, tolerance {tolerance:E1})");
        }

        return results;
    }

    private static double Dot(float[] a, float[] b)
    {
        double s = 0;
        for (var i = 0; i < a.Length; i++)
        {
            s += (double)a[i] * b[i];
        }

        return s;
    }
}
