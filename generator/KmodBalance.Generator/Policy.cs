namespace KmodBalance.Generator;

public enum Policy
{
    /// <summary>tun's own selection, unchanged: the baseline.</summary>
    Stock,
    /// <summary>The thesis's static baseline: flow hash scaled to the queue count.</summary>
    Hash,
    /// <summary>The thesis's flow mapper and remapper.</summary>
    Dynamic,
    /// <summary>Beyond the thesis: the guest's queue first, no herding, moves that never reorder a flow.</summary>
    Adaptive,
}

public static class PolicyNames
{
    public static Policy Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "stock" => Policy.Stock,
        "hash" => Policy.Hash,
        "dynamic" => Policy.Dynamic,
        "adaptive" => Policy.Adaptive,
        _ => throw new KmbException($"unknown policy '{name}': use stock, hash, dynamic or adaptive"),
    };

    /// <summary>Policies with a flow table, a remapper and its tunables (threshold, period): dynamic and adaptive.</summary>
    public static bool Remaps(this Policy policy) => policy is Policy.Dynamic or Policy.Adaptive;

    public static string Name(this Policy policy) => policy.ToString().ToLowerInvariant();
}
