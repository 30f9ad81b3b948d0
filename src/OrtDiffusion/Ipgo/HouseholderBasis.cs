using System.Numerics.Tensors;

namespace OrtDiffusion.Ipgo;

/// <summary>
/// A matrix W ∈ R^{D×K} (K ≤ D) with orthonormal columns, kept so by the parameterisation PyTorch's
/// <c>torch.nn.utils.parametrizations.orthogonal()</c> applies by default to a tall real matrix
/// (<c>orthogonal_map = "householder"</c>, <c>use_trivialization = True</c>):
/// <code>
/// A   = tril(X, −1)                                  (the strictly lower part of the parameter X ∈ R^{D×K})
/// τ_j = 2 / (1 + Σ_i A_ij²)
/// H_j = I − τ_j v_j v_jᵀ,  v_j = e_j + A[:, j]        (an exact reflection: τ_j = 2/‖v_j‖²)
/// Q   = householder_product(A, τ) = (H_0 H_1 ⋯ H_{K−1})[:, :K]
/// W   = B · Q · diag(trunc(X_jj))                      (B ∈ R^{D×D} orthogonal, a fixed buffer)
/// </code>
/// This object holds B and the dimensions; X is passed to <see cref="Forward"/> (it is trained, and lives in the
/// owner's parameter array). The diagonal of X only supplies signs (PyTorch casts it with <c>.int()</c>, so it gets no gradient) and the
/// upper triangle is unused; both keep their initial values under Adam.
/// </summary>
/// <remarks>
/// Initialisation mirrors PyTorch's <c>right_inverse</c> for a non-orthogonal tall start W₀: the start is completed
/// with N ∈ R^{D×(D−K)} (PyTorch draws <c>randn(D, D−K)</c>), B is the Q factor of the QR decomposition of
/// [W₀ | N] with each column's sign chosen so that diag(R) &gt; 0 (PyTorch's <c>_make_orthogonal</c>), and X = −I
/// (D×K, ones on the diagonal negated). Then A = 0, every τ_j = 2, Q = −I_{D×K}, the −1 diagonal flips it back,
/// and W = B[:, :K]: the Gram–Schmidt orthonormalisation of W₀. The derivative with respect to X is written by
/// hand (<see cref="Backward"/>) and recovers each intermediate product by reapplying the reflections
/// (H_j² = I), so it needs no storage beyond W. All arithmetic is in double precision.
/// </remarks>
public sealed class HouseholderBasis
{
    private readonly double[] baseRows;    // B row-major: row r at [r·D, (r+1)·D)
    private readonly double[] baseColumns; // Bᵀ row-major: column t of B at [t·D, (t+1)·D)

    private HouseholderBasis(int rows, int columns, float[] @base)
    {
        Rows = rows;
        Columns = columns;
        Base = @base;
        baseRows = Array.ConvertAll(@base, v => (double)v);
        baseColumns = new double[rows * rows];
        for (var r = 0; r < rows; r++)
        {
            for (var t = 0; t < rows; t++)
            {
                baseColumns[(t * rows) + r] = baseRows[(r * rows) + t];
            }
        }
    }

    /// <summary>D, the number of rows (the text width).</summary>
    public int Rows { get; }

    /// <summary>K, the number of orthonormal columns.</summary>
    public int Columns { get; }

    /// <summary>The fixed orthogonal matrix B, <c>[D, D]</c> row-major (PyTorch's <c>parametrizations.weight[0].base</c>).</summary>
    public float[] Base { get; }

    /// <summary>
    /// Starts from <paramref name="start"/> W₀ (<c>[D, K]</c> row-major) completed by <paramref name="completion"/> N
    /// (<c>[D, D−K]</c> row-major), as PyTorch's <c>right_inverse</c> does: B = Q of QR([W₀ | N]) with diag(R) &gt; 0;
    /// the starting X is <see cref="InitialOriginal"/> (−I).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes do not fit, or [W₀ | N] is singular.</exception>
    public static HouseholderBasis Initialize(ReadOnlySpan<float> start, ReadOnlySpan<float> completion, int rows, int columns)
    {
        CheckShape(rows, columns);
        if (start.Length != rows * columns || completion.Length != rows * (rows - columns))
        {
            throw new ArgumentException($"A {rows}×{columns} basis starts from W₀ [{rows}, {columns}] and N [{rows}, {rows - columns}]; got {start.Length} and {completion.Length} values.");
        }

        var full = new double[rows * rows]; // [W₀ | N] column-major
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < columns; c++)
            {
                full[(c * rows) + r] = start[(r * columns) + c];
            }

            for (var c = columns; c < rows; c++)
            {
                full[(c * rows) + r] = completion[(r * (rows - columns)) + c - columns];
            }
        }

        double[] q;
        try
        {
            q = QrDecomposition.PositiveQ(full, rows);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"The basis start [W₀ | N] cannot be orthonormalised: {e.Message}", e);
        }

        var @base = new float[rows * rows];
        for (var r = 0; r < rows; r++)
        {
            for (var c = 0; c < rows; c++)
            {
                @base[(r * rows) + c] = (float)q[(c * rows) + r];
            }
        }

        return new HouseholderBasis(rows, columns, @base);
    }

    /// <summary>The X PyTorch's <c>right_inverse</c> returns: −I (<c>[D, K]</c> row-major), for which W = B[:, :K].</summary>
    public static float[] InitialOriginal(int rows, int columns)
    {
        CheckShape(rows, columns);
        var original = new float[rows * columns];
        for (var j = 0; j < columns; j++)
        {
            original[(j * columns) + j] = -1f;
        }

        return original;
    }

    /// <summary>Restores a basis from its buffer B (<c>[D, D]</c> row-major).</summary>
    /// <exception cref="ArgumentException">Wrong length, non-finite values, or B not orthogonal (to 10⁻⁴).</exception>
    public static HouseholderBasis FromBuffer(float[] @base, int rows, int columns)
    {
        ArgumentNullException.ThrowIfNull(@base);
        CheckShape(rows, columns);
        if (@base.Length != rows * rows)
        {
            throw new ArgumentException($"A {rows}×{columns} basis needs B [{rows}, {rows}]; got {@base.Length} values.");
        }

        if (!Tensors.FloatTensor.AllFinite(@base))
        {
            throw new ArgumentException("The basis buffer B holds non-finite values.");
        }

        var basis = new HouseholderBasis(rows, columns, @base);
        var error = basis.BaseOrthogonalityError();
        if (error > 1e-4)
        {
            throw new ArgumentException($"The basis buffer B is not orthogonal (max |BᵀB − I| = {error:E2}).");
        }

        return basis;
    }

    /// <summary>W for the parameter X = <paramref name="original"/> (<c>[D, K]</c> row-major).</summary>
    public HouseholderForward Forward(ReadOnlySpan<float> original)
    {
        int d = Rows, k = Columns;
        if (original.Length != d * k)
        {
            throw new ArgumentException($"X must have {d}×{k} values; got {original.Length}.", nameof(original));
        }

        // v_j as columns (v_j[j] = 1, zeros above), τ_j, and the column signs.
        var reflectors = new double[k * d];
        var tau = new double[k];
        var signs = new double[k];
        for (var j = 0; j < k; j++)
        {
            var v = reflectors.AsSpan(j * d, d);
            v[j] = 1;
            double squares = 0;
            for (var i = j + 1; i < d; i++)
            {
                double a = original[(i * k) + j];
                v[i] = a;
                squares += a * a;
            }

            tau[j] = 2 / (1 + squares);
            signs[j] = Math.Truncate((double)original[(j * k) + j]);
        }

        // Q = H_0 ⋯ H_{K−1} E, applied right to left to the columns of E; columns c < j are still e_c then.
        var q = new double[k * d];
        for (var c = 0; c < k; c++)
        {
            q[(c * d) + c] = 1;
        }

        for (var j = k - 1; j >= 0; j--)
        {
            Reflect(reflectors.AsSpan(j * d, d), tau[j], q, j, j, d, k);
        }

        var w = new double[k * d];
        for (var c = 0; c < k; c++)
        {
            var column = q.AsSpan(c * d, d);
            for (var r = 0; r < d; r++)
            {
                w[(c * d) + r] = signs[c] * TensorPrimitives.Dot<double>(baseRows.AsSpan(r * d, d), column);
            }
        }

        return new HouseholderForward(w, q, reflectors, tau, signs, d, k);
    }

    /// <summary>
    /// The gradient with respect to X (<c>[D, K]</c> row-major, written to <paramref name="gradient"/>) of a loss whose
    /// gradient with respect to W is <paramref name="basisGradient"/> (column-major like <see cref="HouseholderForward.Columns"/>).
    /// Only the strictly lower triangle receives a gradient; the diagonal and the upper triangle get zero, as in PyTorch.
    /// </summary>
    public void Backward(HouseholderForward forward, ReadOnlySpan<double> basisGradient, Span<float> gradient)
    {
        ArgumentNullException.ThrowIfNull(forward);
        int d = Rows, k = Columns;
        if (basisGradient.Length != d * k || gradient.Length != d * k)
        {
            throw new ArgumentException($"The gradients of a {d}×{k} basis have {d * k} values.");
        }

        // G = dL/dQ = diag(sign) applied to Bᵀ dL/dW.
        var g = new double[k * d];
        for (var c = 0; c < k; c++)
        {
            var column = basisGradient.Slice(c * d, d);
            for (var t = 0; t < d; t++)
            {
                g[(c * d) + t] = forward.Signs[c] * TensorPrimitives.Dot(baseColumns.AsSpan(t * d, d), column);
            }
        }

        var y = (double[])forward.Q.Clone();
        var p = new double[k];
        var u = new double[k];
        var dv = new double[d];
        gradient.Clear();
        for (var j = 0; j < k; j++)
        {
            var v = forward.Reflectors.AsSpan(j * d, d);
            var tau = forward.Tau[j];

            // Y_{j+1} = H_j Y_j (H_j² = I); then u = Y_{j+1}ᵀ v and p = Gᵀ v over the rows ≥ j where v lives.
            Reflect(v, tau, y, j, j, d, k);
            var vTail = v[j..];
            for (var c = 0; c < k; c++)
            {
                p[c] = TensorPrimitives.Dot(g.AsSpan((c * d) + j, d - j), vTail);
                u[c] = c < j ? 0 : TensorPrimitives.Dot(y.AsSpan((c * d) + j, d - j), vTail);
            }

            // Y_j = Y_{j+1} − τ v (vᵀ Y_{j+1}): dL/dτ = −pᵀu, dL/dv = −τ (G u + Y_{j+1} p).
            double dTau = 0;
            for (var c = j; c < k; c++)
            {
                dTau -= p[c] * u[c];
            }

            Array.Clear(dv);
            for (var c = j; c < k; c++)
            {
                TensorPrimitives.MultiplyAdd(g.AsSpan(c * d, d), u[c], dv, dv);
                if (c > j)
                {
                    TensorPrimitives.MultiplyAdd(y.AsSpan(c * d, d), p[c], dv, dv);
                }
            }

            // A_ij (i > j) enters v_j[i] directly and τ_j = 2/(1 + Σ A²): dτ/dA_ij = −τ² A_ij.
            for (var i = j + 1; i < d; i++)
            {
                gradient[(i * k) + j] = (float)((-tau * dv[i]) + (dTau * -tau * tau * v[i]));
            }

            // G_{j+1} = H_jᵀ G_j.
            Reflect(v, tau, g, j, 0, d, k);
        }
    }

    private double BaseOrthogonalityError()
    {
        var d = Rows;
        double worst = 0;
        for (var a = 0; a < d; a++)
        {
            for (var b = a; b < d; b++)
            {
                var dot = TensorPrimitives.Dot<double>(baseColumns.AsSpan(a * d, d), baseColumns.AsSpan(b * d, d));
                worst = Math.Max(worst, Math.Abs(dot - (a == b ? 1 : 0)));
            }
        }

        return worst;
    }

    // Columns c ≥ firstColumn of the column-major matrix m: col ← col − τ v (vᵀ col), over the rows ≥ j where v is non-zero.
    private static void Reflect(ReadOnlySpan<double> v, double tau, double[] m, int j, int firstColumn, int d, int k)
    {
        var vTail = v[j..];
        for (var c = firstColumn; c < k; c++)
        {
            var column = m.AsSpan((c * d) + j, d - j);
            var dot = TensorPrimitives.Dot(column, vTail);
            if (dot != 0)
            {
                TensorPrimitives.MultiplyAdd(vTail, -tau * dot, column, column);
            }
        }
    }

    private static void CheckShape(int rows, int columns)
    {
        if (rows < 1 || columns < 1 || columns > rows)
        {
            throw new ArgumentOutOfRangeException(nameof(columns), columns, $"A basis of K orthonormal columns in R^D needs 1 ≤ K ≤ D; got K = {columns}, D = {rows}.");
        }
    }
}

/// <summary>One evaluation of a <see cref="HouseholderBasis"/>: W and what its derivative needs.</summary>
public sealed class HouseholderForward
{
    internal HouseholderForward(double[] columns, double[] q, double[] reflectors, double[] tau, double[] signs, int rows, int count)
    {
        Columns = columns;
        Q = q;
        Reflectors = reflectors;
        Tau = tau;
        Signs = signs;
        Rows = rows;
        Count = count;
    }

    /// <summary>W column-major: column c (a unit vector in R^D) at <c>[c·D, (c+1)·D)</c>.</summary>
    public double[] Columns { get; }

    /// <summary>D.</summary>
    public int Rows { get; }

    /// <summary>K.</summary>
    public int Count { get; }

    internal double[] Q { get; }

    internal double[] Reflectors { get; }

    internal double[] Tau { get; }

    internal double[] Signs { get; }

    /// <summary>Column <paramref name="c"/> of W.</summary>
    public ReadOnlySpan<double> Column(int c) => Columns.AsSpan(c * Rows, Rows);

    /// <summary>W as <c>[D, K]</c> row-major floats (PyTorch's <c>weight</c>).</summary>
    public float[] ToRowMajor()
    {
        var result = new float[Rows * Count];
        for (var c = 0; c < Count; c++)
        {
            for (var r = 0; r < Rows; r++)
            {
                result[(r * Count) + c] = (float)Columns[(c * Rows) + r];
            }
        }

        return result;
    }

    /// <summary>max |WᵀW − I|.</summary>
    public double OrthonormalityError()
    {
        double worst = 0;
        for (var a = 0; a < Count; a++)
        {
            for (var b = a; b < Count; b++)
            {
                var dot = TensorPrimitives.Dot<double>(Column(a), Column(b));
                worst = Math.Max(worst, Math.Abs(dot - (a == b ? 1 : 0)));
            }
        }

        return worst;
    }
}
