namespace KmodBalance.Vocabulary;

/// <summary>A queue-selection policy of the tun driver: what `--policy` names, the generator patches in,
/// the model simulates and the lab measures.</summary>
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

/// <summary>The command-line names of <see cref="Policy"/> ("stock", "hash", ...) and the groups the verbs take.</summary>
public static class PolicyNames
{
    /// <summary>Every policy, in declaration order.</summary>
    public static IReadOnlyList<Policy> All { get; } = Enum.GetValues<Policy>();

    /// <summary>The policies that change tun: stock is tun unchanged, so there is nothing of it to patch or check.</summary>
    public static IReadOnlyList<Policy> Patched { get; } = [.. All.Where(p => p != Policy.Stock)];

    public static string Name(this Policy policy) => policy.ToString().ToLowerInvariant();

    /// <summary>The command-line names of <paramref name="policies"/>, in their order.</summary>
    public static string[] NamesOf(IEnumerable<Policy> policies) => [.. policies.Select(Name)];

    /// <summary>The names of <paramref name="policies"/> for a help text or an error message: "hash, dynamic or adaptive".</summary>
    public static string Listed(IEnumerable<Policy> policies) => NamesOf(policies) switch
    {
        [] => "",
        [var only] => only,
        [.. var first, var last] => $"{string.Join(", ", first)} or {last}",
    };

    /// <summary>Case and surrounding blanks are ignored, as on the command line.</summary>
    public static bool TryParse(string? name, out Policy policy)
    {
        var wanted = name?.Trim().ToLowerInvariant();
        foreach (var p in All)
        {
            if (p.Name() == wanted)
            {
                policy = p;
                return true;
            }
        }
        policy = default;
        return false;
    }

    /// <summary>What is wrong with a <c>--policies</c> list (compare, capacity): empty, a name that is no
    /// policy, or a policy named twice. Exact names, as the verbs pass them on.</summary>
    public static IReadOnlyList<string> ListErrors(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var known = NamesOf(All);
        var e = new List<string>();
        if (names.Count == 0) e.Add($"--policies must name at least one of {Listed(All)}");
        foreach (var p in names.Where(p => !known.Contains(p)))
            e.Add($"--policies: unknown policy '{p}' (known: {Listed(All)})");
        foreach (var p in names.GroupBy(p => p).Where(g => g.Count() > 1))
            e.Add($"--policies names '{p.Key}' twice");
        return e;
    }

    /// <summary>For a name a verb has already validated; a name that is no policy is a bug there.</summary>
    /// <exception cref="ArgumentException">Not a policy name.</exception>
    public static Policy Parse(string name) => TryParse(name, out var p)
        ? p
        : throw new ArgumentException($"unknown policy '{name}': use {Listed(All)}", nameof(name));

    /// <summary>Policies with a flow table, a remapper and its tunables (threshold, period): dynamic and adaptive.</summary>
    public static bool Remaps(this Policy policy) => policy is Policy.Dynamic or Policy.Adaptive;
}
