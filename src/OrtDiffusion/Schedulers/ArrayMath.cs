namespace OrtDiffusion.Schedulers;

/// <summary>
/// The few numpy / torch array constructors diffusers builds schedules with, reproduced to
/// the bit so that timesteps and sigmas match diffusers exactly, not just closely.
/// </summary>
internal static class ArrayMath
{
    /// <summary>numpy.linspace(start, stop, num) in float64: <c>start + i·step</c>, last point exactly <c>stop</c>.</summary>
    public static double[] Linspace(double start, double stop, int num)
    {
        var y = new double[num];
        if (num == 0)
        {
            return y;
        }

        var step = num > 1 ? (stop - start) / (num - 1) : 0.0;
        for (var i = 0; i < num; i++)
        {
            y[i] = i * step + start;
        }

        if (num > 1)
        {
            y[num - 1] = stop;
        }

        return y;
    }

    /// <summary>
    /// numpy.arange(start, stop, step) for a float step: <c>ceil((stop − start) / step)</c>
    /// values <c>start + i·δ</c> with <c>δ = (start + step) − start</c>, as numpy fills them.
    /// </summary>
    public static double[] Arange(double start, double stop, double step)
    {
        var count = (int)Math.Max(0, Math.Ceiling((stop - start) / step));
        var y = new double[count];
        var delta = (start + step) - start;
        for (var i = 0; i < count; i++)
        {
            y[i] = i == 0 ? start : start + i * delta;
        }

        return y;
    }

    /// <summary>
    /// torch.linspace(start, end, steps, dtype=float32) as torch's AVX2 CPU kernel computes it
    /// (8-wide vectors in pairs, a fused multiply-add for each vector's base, the first half
    /// counted from <paramref name="start"/> and the second from <paramref name="end"/>).
    /// diffusers builds its betas this way, so alphas_cumprod then matches it bit for bit (torch
    /// builds that dispatch to other vector widths can differ in the last bit of a few betas).
    /// </summary>
    public static float[] TorchLinspaceFloat32(double start, double end, int steps)
    {
        var s = (float)start;
        var e = (float)end;
        var y = new float[steps];
        if (steps == 1)
        {
            y[0] = s;
            return y;
        }

        var step = (e - s) / (steps - 1);
        var halfway = steps / 2;
        const int Width = 8;
        var vectorised = steps / (2 * Width) * (2 * Width);
        for (var idx = 0; idx < vectorised; idx += Width)
        {
            var lane0 = idx < halfway
                ? MathF.FusedMultiplyAdd(step, idx, s)
                : MathF.FusedMultiplyAdd(-step, steps - idx - 1, e);
            for (var j = 0; j < Width; j++)
            {
                y[idx + j] = lane0 + j * step;
            }
        }

        for (var i = vectorised; i < steps; i++)
        {
            y[i] = i < halfway
                ? MathF.FusedMultiplyAdd(step, i, s)
                : MathF.FusedMultiplyAdd(-step, steps - i - 1, e);
        }

        return y;
    }

    /// <summary>numpy.interp(x, arange(len(fp)), fp): linear interpolation on the unit grid, clamped at both ends.</summary>
    public static double InterpUnitGrid(double x, ReadOnlySpan<float> fp)
    {
        var last = fp.Length - 1;
        if (x <= 0)
        {
            return fp[0];
        }

        if (x >= last)
        {
            return fp[last];
        }

        var j = (int)Math.Floor(x);
        if (j == x)
        {
            return fp[j];
        }

        var slope = ((double)fp[j + 1] - fp[j]) / 1.0;
        return slope * (x - j) + fp[j];
    }

    /// <summary>
    /// "trailing" spacing: <c>round(arange(start, 0, −ratio)) − 1</c>, noisiest first. For some
    /// step counts numpy's arange yields one value too many (≈ 0, so timestep −1, which diffusers
    /// then reads as the table's last entry); those are refused rather than reproduced.
    /// </summary>
    public static double[] TrailingDescending(double start, double ratio, int steps)
    {
        var down = Arange(start, 0, -ratio);
        for (var i = 0; i < down.Length; i++)
        {
            down[i] = RoundHalfEven(down[i]) - 1;
            if (down[i] < 0)
            {
                throw new NotSupportedException(
                    $"\"trailing\" timestep spacing with {steps} steps: numpy.arange produces a timestep of −1 here "
                    + "(floating-point rounding in diffusers), which has no meaning; choose another step count.");
            }
        }

        return down;
    }

    /// <summary>numpy.round: halves go to the even neighbour.</summary>
    public static double RoundHalfEven(double x) => Math.Round(x, MidpointRounding.ToEven);
}
