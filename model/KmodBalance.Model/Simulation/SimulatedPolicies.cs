using KmodBalance.Model.Balancing;

namespace KmodBalance.Model.Simulation;

/// <summary>Which policies a simulation runs and the model of each.</summary>
public static class SimulatedPolicies
{
    /// <summary>`--policy all`, hash first: the reports' ratios compare every policy with the first.</summary>
    public static IReadOnlyList<Policy> All { get; } = [Policy.Hash, Policy.Dynamic, Policy.Stock, Policy.Adaptive];

    /// <summary>Parses a policy name or <c>all</c>; null if neither.</summary>
    public static IReadOnlyList<Policy>? Parse(string s) =>
        s.Trim().Equals("all", StringComparison.OrdinalIgnoreCase) ? All
        : PolicyNames.TryParse(s, out var p) ? [p]
        : null;

    public static IQueueSelector Create(this Policy p, SimulationOptions o) => p switch
    {
        Policy.Hash => new HashBalancer(),
        Policy.Dynamic => new DynamicBalancer(o.Threshold, o.MaxFlows),
        Policy.Stock => new StockAutomq(o.MaxFlows),
        Policy.Adaptive => new AdaptiveBalancer(o.Threshold, o.MaxFlows, (uint)QueueFifo.RingPackets),
        _ => throw new ArgumentOutOfRangeException(nameof(p)),
    };
}
