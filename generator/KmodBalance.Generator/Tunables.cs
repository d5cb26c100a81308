namespace KmodBalance.Generator;

/// <summary>
/// Compile-time defaults of the balancer's module parameters.
/// Threshold is in packets per period; the period is in milliseconds.
/// </summary>
public sealed record Tunables(long Threshold = Tunables.DefaultThreshold, long PeriodMs = Tunables.DefaultPeriodMs)
{
    public const long DefaultThreshold = 64;
    public const long DefaultPeriodMs = 200;

    /// <summary>One jiffy at HZ=100: a shorter period cannot be honoured by a timer.</summary>
    public const long MinPeriodMs = 10;
    public const long MaxPeriodMs = 60_000;

    /// <summary>Refuses values the module would refuse too, rather than clamping them.</summary>
    public Tunables Validated()
    {
        if (Threshold < 0 || Threshold > uint.MaxValue)
            throw new KmbException($"--threshold {Threshold} is out of range: give a load gap in segments per period, 0 to {uint.MaxValue}");
        if (PeriodMs <= 0)
            throw new KmbException($"--period-ms {PeriodMs} is not positive: give the remapper period in milliseconds, {MinPeriodMs} to {MaxPeriodMs}");
        if (PeriodMs < MinPeriodMs)
            throw new KmbException($"--period-ms {PeriodMs} is below the {MinPeriodMs} ms floor: a timer cannot run more often than one jiffy at HZ=100; give {MinPeriodMs} to {MaxPeriodMs}");
        if (PeriodMs > MaxPeriodMs)
            throw new KmbException($"--period-ms {PeriodMs} is above the {MaxPeriodMs} ms ceiling; give {MinPeriodMs} to {MaxPeriodMs}");
        return this;
    }
}
