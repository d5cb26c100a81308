using KmodBalance.Model.Balancing;

namespace KmodBalance.Model.Simulation;

/// <summary>The policies the simulator can run.</summary>
public enum Policy { Hash, Dynamic, Stock, Adaptive }

public static class Policies
{
    public static IReadOnlyList<Policy> All { get; } = [Policy.Hash, Policy.Dynamic, Policy.Stock, Policy.Adaptive];

    public static string Name(this Policy p) => p switch
    {
        Policy.Hash => "hash",
        Policy.Dynamic => "dynamic",
        Policy.Stock => "stock",
        Policy.Adaptive => "adaptive",
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };

    /// <summary>Parses <c>hash</c>, <c>dynamic</c>, <c>stock</c>, <c>adaptive</c> or <c>all</c>; null if unknown.</summary>
    public static IReadOnlyList<Policy>? Parse(string s) => s.Trim().ToLowerInvariant() switch
    {
        "all" => All,
        "hash" => [Policy.Hash],
        "dynamic" => [Policy.Dynamic],
        "stock" => [Policy.Stock],
        "adaptive" => [Policy.Adaptive],
        _ => null,
    };

    public static IQueueSelector Create(this Policy p, SimulationOptions o) => p switch
    {
        Policy.Hash => new HashBalancer(),
        Policy.Dynamic => new DynamicBalancer(o.Threshold, o.MaxFlows),
        Policy.Stock => new StockAutomq(o.MaxFlows),
        Policy.Adaptive => new AdaptiveBalancer(o.Threshold, o.MaxFlows, (uint)QueueFifo.RingPackets),
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };
}

/// <summary>Knobs of one simulation (all policies share them).</summary>
public sealed record SimulationOptions(
    int Queues = 4,
    int PeriodMs = 200,
    uint Threshold = 64,
    int Runs = 20,
    ulong Seed = 1,
    int MaxFlows = 4096,
    CapacityModel? Capacity = null)
{
    public const int MinPeriodMs = 10;
    public const int MaxPeriodMs = 60000;
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
        if (periodMs <= 0)
            p.Add($"--period-ms {periodMs}: the period must be positive; use {MinPeriodMs}..{MaxPeriodMs} (the thesis uses 200)");
        else if (periodMs < MinPeriodMs)
            p.Add($"--period-ms {periodMs}: below the {MinPeriodMs} ms floor; use {MinPeriodMs}..{MaxPeriodMs} (the thesis uses 200)");
        else if (periodMs > MaxPeriodMs)
            p.Add($"--period-ms {periodMs}: above the {MaxPeriodMs} ms ceiling; use {MinPeriodMs}..{MaxPeriodMs}");
        if (threshold < 0 || threshold > uint.MaxValue)
            p.Add($"--threshold {threshold}: must fit a u32 packet count; use 0..{uint.MaxValue}");
        if (runs < 1 || runs > MaxRuns)
            p.Add($"--runs {runs}: use 1..{MaxRuns}");
        return p;
    }
}
