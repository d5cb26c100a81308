namespace KmodBalance.Generator;

public enum Policy
{
    /// <summary>tun's own selection, unchanged: the baseline.</summary>
    Stock,
    /// <summary>The thesis's static baseline: flow hash scaled to the queue count.</summary>
    Hash,
    /// <summary>The thesis's flow mapper and remapper.</summary>
    Dynamic,
}

public static class PolicyNames
{
    public static Policy Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "stock" => Policy.Stock,
        "hash" => Policy.Hash,
        "dynamic" => Policy.Dynamic,
        _ => throw new KmbException($"unknown policy '{name}': use stock, hash or dynamic"),
    };

    public static string Name(this Policy policy) => policy.ToString().ToLowerInvariant();
}
