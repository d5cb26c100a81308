namespace KmodBalance.Harness.Lab;

/// <summary>What balances the lab's tap: the patched tun.ko (<see cref="Module"/>), or the kernel's own,
/// unmodified tun.ko with kmbsteer's eBPF steering program set on the tap (<see cref="Ebpf"/>).</summary>
public enum LabBackend { Module, Ebpf }

/// <summary>`--backend module|ebpf`, shared by the lab verbs: its names, which policies each back end can
/// run, and the combinations refused before any VM work. Pure.</summary>
public static class LabBackends
{
    public static readonly IReadOnlyList<string> Names = ["module", "ebpf"];

    /// <summary>What the eBPF back end runs: stock (the kernel's own tun.ko, no steering program) and
    /// dynamic (kmbsteer, the module's balancer core as user-space remapper). hash and adaptive exist only
    /// in the module (adaptive needs tun's rings and automq's table, which a socket filter cannot see).</summary>
    public static readonly IReadOnlyList<Policy> EbpfPolicies = [Policy.Stock, Policy.Dynamic];

    public static LabBackend Parse(string name) => name switch
    {
        "module" => LabBackend.Module,
        "ebpf" => LabBackend.Ebpf,
        _ => throw new ArgumentException($"--backend {name}: give module or ebpf", nameof(name)),
    };

    public static string Name(this LabBackend backend) => backend == LabBackend.Ebpf ? "ebpf" : "module";

    /// <summary>The problems of a back end with these policies and a --module directory, each naming the fix.</summary>
    /// <param name="policyOption">How the verb names its policy option ("--policy" or "--policies").</param>
    public static IReadOnlyList<string> Validate(LabBackend backend, IEnumerable<Policy> policies, string? moduleDir, string policyOption = "--policy")
    {
        var e = new List<string>();
        if (backend != LabBackend.Ebpf) return e;
        foreach (var p in policies.Where(p => !EbpfPolicies.Contains(p)).Distinct())
            e.Add($"{policyOption} {p.Name()} cannot run with --backend ebpf: the eBPF back end runs {string.Join(" and ", PolicyNames.NamesOf(EbpfPolicies))} on the kernel's own tun.ko; " +
                  $"{p.Name()} needs the patched module (use --backend module for it)");
        if (moduleDir is not null)
            e.Add("--module cannot be combined with --backend ebpf: the eBPF back end loads the kernel's own unmodified tun.ko; " +
                  "drop --module, or use --backend module to test a built module");
        return e;
    }

    /// <summary>The report's "backend" line.</summary>
    public static string Describe(LabBackend backend) => backend == LabBackend.Ebpf
        ? "ebpf: the kernel's own unmodified tun.ko; dynamic = kmbsteer's steering program (TUNSETSTEERINGEBPF) on the tap, stock = no program"
        : "module: the tun.ko generated and built for the policy";
}
