namespace OrtDiffusion.Randomness;

/// <summary>
/// The 32-bit Mersenne Twister (MT19937) seeded the way PyTorch's CPU generator seeds it:
/// Knuth's linear initialisation of the 624-word state from the low 32 bits of the seed
/// (init_genrand), with the state regenerated lazily when the first number is drawn.
/// </summary>
internal sealed class Mt19937
{
    private const int N = 624;
    private const int M = 397;
    private const uint MatrixA = 0x9908b0df;
    private const uint UpperMask = 0x80000000;
    private const uint LowerMask = 0x7fffffff;

    private readonly uint[] _state = new uint[N];
    private int _left;
    private int _next;

    public Mt19937(ulong seed) => Seed(seed);

    private Mt19937(Mt19937 other)
    {
        other._state.CopyTo(_state, 0);
        _left = other._left;
        _next = other._next;
    }

    public Mt19937 Clone() => new(this);

    /// <summary>Resets the state; only the low 32 bits of <paramref name="seed"/> matter, as in PyTorch.</summary>
    public void Seed(ulong seed)
    {
        _state[0] = (uint)seed;
        for (uint j = 1; j < N; j++)
            _state[j] = 1812433253u * (_state[j - 1] ^ (_state[j - 1] >> 30)) + j;
        _left = 1;
        _next = 0;
    }

    /// <summary>The next 32-bit output.</summary>
    public uint Next()
    {
        if (--_left == 0)
            Regenerate();
        uint y = _state[_next++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    private void Regenerate()
    {
        uint[] s = _state;
        for (int k = 0; k < N; k++)
        {
            uint mixed = (s[k] & UpperMask) | (s[(k + 1) % N] & LowerMask);
            uint twisted = (mixed >> 1) ^ ((s[(k + 1) % N] & 1u) != 0 ? MatrixA : 0u);
            s[k] = s[(k + M) % N] ^ twisted;
        }
        _left = N;
        _next = 0;
    }
}
