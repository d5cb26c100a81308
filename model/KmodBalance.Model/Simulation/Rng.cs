namespace KmodBalance.Model.Simulation;

/// <summary>SplitMix64: a tiny, portable, seedable generator (same numbers on every runtime).</summary>
public sealed class Rng(ulong seed)
{
    private ulong _state = seed;

    /// <summary>The generator for run <paramref name="run"/> of a simulation seeded with <paramref name="seed"/>.</summary>
    public static Rng ForRun(ulong seed, int run) => new(Mix(seed ^ Mix((ulong)run + 0x5EED)));

    /// <summary>The SplitMix64 finaliser: a bijective 64-bit mix.</summary>
    public static ulong Mix(ulong z)
    {
        unchecked
        {
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }
    }

    public ulong NextULong() => Mix(unchecked(_state += 0x9E3779B97F4A7C15UL));

    public uint NextUInt() => (uint)(NextULong() >> 32);

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int NextInt(int n) => (int)(NextDouble() * n);

    /// <summary>Exponential with the given mean.</summary>
    public double NextExponential(double mean) => -mean * Math.Log(1.0 - NextDouble());

    /// <summary>Pareto with minimum <paramref name="xm"/> and shape <paramref name="alpha"/> (heavy-tailed for alpha &lt; 2).</summary>
    public double NextPareto(double xm, double alpha) => xm / Math.Pow(1.0 - NextDouble(), 1.0 / alpha);
}
