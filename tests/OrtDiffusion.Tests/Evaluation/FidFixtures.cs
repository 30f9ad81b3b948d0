using System.Text.Json;
using OrtDiffusion.Evaluation;
using OrtDiffusion.IO;

namespace OrtDiffusion.Tests.Evaluation;

/// <summary>
/// The committed FID reference cases (Fixtures/evaluation, made by make_fid_fixture.py with numpy and scipy):
/// features, numpy's mean and covariance, pytorch-fid's sqrtm-based FID and an exact SVD-based FID.
/// </summary>
internal static class FidFixtures
{
    public static readonly string[] Cases = ["full_rank", "wide", "singular", "tiny_zoo_like"];

    private static readonly Lazy<IReadOnlyDictionary<string, NpyArray>> Arrays = new(() => NpzFile.Read(Fixtures.Path("evaluation", "fid_cases.npz")));

    private static readonly Lazy<JsonElement> Expected = new(() => JsonDocument.Parse(File.ReadAllText(Fixtures.Path("evaluation", "fid_expected.json"))).RootElement);

    /// <summary>Features of side 1 or 2 of a case, rows of float32.</summary>
    public static float[][] Features(string name, int side)
    {
        var x = Arrays.Value[$"x_{name}_{side}"];
        var data = x.GetData<float>();
        var (n, d) = ((int)x.Shape[0], (int)x.Shape[1]);
        return [.. Enumerable.Range(0, n).Select(i => data.AsSpan(i * d, d).ToArray())];
    }

    /// <summary>numpy's mean and covariance (np.cov, rowvar=False) of side 1 or 2.</summary>
    public static GaussianStatistics Statistics(string name, int side) =>
        new(Arrays.Value[$"mu_{name}_{side}"].GetData<double>(), Arrays.Value[$"sigma_{name}_{side}"].GetData<double>());

    public static double ScipyFid(string name) => Expected.Value.GetProperty(name).GetProperty("fid_scipy").GetDouble();

    public static double SvdFid(string name) => Expected.Value.GetProperty(name).GetProperty("fid_svd").GetDouble();

    public static FeatureMoments Moments(float[][] rows)
    {
        var moments = new FeatureMoments(rows[0].Length);
        foreach (var row in rows)
        {
            moments.Add(row);
        }

        return moments;
    }
}
