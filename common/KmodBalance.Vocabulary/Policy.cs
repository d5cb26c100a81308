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

    /// <summary>A comma-separated <c>--policies</c> value (compare, capacity): its policies in the order given,
    /// and an error for each name that is no policy.</summary>
    public static (IReadOnlyList<Policy> Policies, IReadOnlyList<string> Errors) ParseList(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var policies = new List<Policy>();
        var errors = new List<string>();
        foreach (var name in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (TryParse(name, out var p)) policies.Add(p);
            else errors.Add($"--policies: unknown policy '{name}' (known: {Listed(All)})");
        }
        return (policies, errors);
    }

    /// <summary>What is wrong with the policies a verb was given to run side by side (compare, capacity):
    /// none, or one named twice.</summary>
    public static IReadOnlyList<string> ListErrors(IReadOnlyList<Policy> policies)
    {
        ArgumentNullException.ThrowIfNull(policies);
        var e = new List<string>();
        if (policies.Count == 0) e.Add($"--policies must name at least one of {Listed(All)}");
        foreach (var p in policies.GroupBy(p => p).Where(g => g.Count() > 1))
            e.Add($"--policies names '{p.Key.Name()}' twice");
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
