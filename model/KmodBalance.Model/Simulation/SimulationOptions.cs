using KmodBalance.Model.Balancing;

namespace KmodBalance.Model.Simulation;

/// <summary>Knobs of one simulation (all policies share them).</summary>
public sealed record SimulationOptions(
    int Queues = 4,
    int PeriodMs = (int)Tunables.DefaultPeriodMs,
    uint Threshold = (uint)Tunables.DefaultThreshold,
    int Runs = 20,
    ulong Seed = 1,
    int MaxFlows = 4096,
    CapacityModel? Capacity = null)
{
    public const int MaxRuns = 10000;

    public CapacityModel Cap => Capacity ?? new CapacityModel();

    /// <summary>What is wrong with raw (unvalidated) knob values, each with its fix; empty if nothing.</summary>
    public static IReadOnlyList<string> Problems(long queues, long periodMs, long threshold, long runs)
    {
        var p = new List<string>();
        if (queues < 1)
            p.Add($"--queues {queues}: a tap device needs at least 1 queue; use 1..{DynamicBalancer.MaxQueues}");
        else if (queues > DynamicBalancer.MaxQueues)
            p.Add($"--queues {queues}: tun supports at most {DynamicBalancer.MaxQueues} queues; use 1..{DynamicBalancer.MaxQueues}");
        p.AddRange(new Tunables(threshold, periodMs).Problems());
        if (runs < 1 || runs > MaxRuns)
            p.Add($"--runs {runs}: use 1..{MaxRuns}");
        return p;
    }
}
