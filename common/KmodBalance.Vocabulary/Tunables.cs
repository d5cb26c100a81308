namespace KmodBalance.Vocabulary;

/// <summary>
/// The remapping policies' knobs (<see cref="PolicyNames.Remaps"/>): the generated module's parameter defaults,
/// kmbsteer's settings and the simulator's. Threshold is in packets (segments) per period; the period is in milliseconds.
/// </summary>
public sealed record Tunables(long Threshold = Tunables.DefaultThreshold, long PeriodMs = Tunables.DefaultPeriodMs)
{
    /// <summary>The thesis's values.</summary>
    public const long DefaultThreshold = 64;
    public const long DefaultPeriodMs = 200;

    /// <summary>One jiffy at HZ=100: a shorter period cannot be honoured by a timer.</summary>
    public const long MinPeriodMs = 10;
    public const long MaxPeriodMs = 60_000;

    /// <summary>What the module would refuse (rather than clamp), each naming the option and the range to give; empty if nothing.</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (Threshold < 0 || Threshold > uint.MaxValue)
            p.Add($"--threshold {Threshold} is out of range: give a load gap in segments per period, 0 to {uint.MaxValue}");
        if (PeriodMs <= 0)
            p.Add($"--period-ms {PeriodMs} is not positive: give the remapper period in milliseconds, {MinPeriodMs} to {MaxPeriodMs}");
        else if (PeriodMs < MinPeriodMs)
            p.Add($"--period-ms {PeriodMs} is below the {MinPeriodMs} ms floor: a timer cannot run more often than one jiffy at HZ=100; give {MinPeriodMs} to {MaxPeriodMs}");
        else if (PeriodMs > MaxPeriodMs)
            p.Add($"--period-ms {PeriodMs} is above the {MaxPeriodMs} ms ceiling; give {MinPeriodMs} to {MaxPeriodMs}");
        return p;
    }
}
