using MathNet.Numerics;

namespace OrtDiffusion.Schedulers;

/// <summary>
/// The linear multistep coefficients in sigma: for step i of order p, coefficient k is the
/// integral over [σ_i, σ_{i+1}] of the Lagrange basis polynomial that is 1 at σ_{i−k} and 0 at
/// the other p − 1 points σ_{i−j}. Integrated with MathNet's Gauss-Legendre rule, exact for
/// these polynomials (degree ≤ 3).
/// </summary>
internal static class LmsCoefficients
{
    public const int MaxOrder = 4;

    /// <summary>
    /// Coefficients for every step, <see cref="MaxOrder"/> per step (unused entries 0). Step i
    /// uses order <c>min(i + 1, 4)</c>, counted from the schedule's start as diffusers does.
    /// </summary>
    public static double[] Table(float[] sigmas, int steps)
    {
        var table = new double[steps * MaxOrder];
        for (var i = 0; i < steps; i++)
        {
            var order = Math.Min(i + 1, MaxOrder);
            for (var k = 0; k < order; k++)
            {
                table[i * MaxOrder + k] = Coefficient(sigmas, i, order, k);
            }
        }

        return table;
    }

    private static double Coefficient(float[] sigmas, int i, int order, int k)
    {
        double Basis(double tau)
        {
            var product = 1.0;
            for (var j = 0; j < order; j++)
            {
                if (j != k)
                {
                    product *= (tau - sigmas[i - j]) / ((double)sigmas[i - k] - sigmas[i - j]);
                }
            }

            return product;
        }

        return Integrate.GaussLegendre(Basis, sigmas[i], sigmas[i + 1], order: 8);
    }
}
