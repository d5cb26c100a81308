using System.Text.RegularExpressions;
using KmodBalance.Generator;

namespace KmodBalance.Harness.Steering;

/// <summary>What <c>kmb steer</c> was asked to do, validated before anything is built or attached.</summary>
/// <param name="Device">The running multi-queue tun/tap, in the current network namespace.</param>
/// <param name="Tunables">As for the module: threshold in segments per period, period in milliseconds.</param>
/// <param name="StatsFile">Rewritten after every period in balance_stats' form; null: STATE/steer/run/DEV.stats.</param>
/// <param name="Duration">Detach after this long; null: until interrupted.</param>
public sealed partial record SteerOptions(string Device, Tunables Tunables, string? StatsFile, TimeSpan? Duration)
{
    /// <summary>The policies the program implements (the module's adaptive needs tun's rings, which a socket filter cannot see).</summary>
    public static readonly IReadOnlyList<Policy> Policies = [Policy.Dynamic];

    /// <summary>Refuses what the kernel or kmbsteer would refuse later, with the fix.</summary>
    public static SteerOptions Create(string device, Policy policy, Tunables tunables, string? statsFile, double? durationSeconds)
    {
        if (!DeviceName().IsMatch(device))
            throw new KmbException($"device '{device}' is not an interface name (1 to 15 of letters, digits, '.', '-', '_'): name a running multi-queue tap");
        if (!Policies.Contains(policy))
            throw new KmbException($"--policy {policy.Name()}: the eBPF back end implements {PolicyNames.Listed(Policies)}; " +
                "for hash or adaptive use the module (kmb generate/build)");
        if (durationSeconds is { } d && (d <= 0 || d > TimeSpan.MaxValue.TotalSeconds / 2))
            throw new KmbException($"--duration {d}: give a positive number of seconds");
        return new SteerOptions(device, tunables.Validated(), statsFile,
            durationSeconds is { } s ? TimeSpan.FromSeconds(s) : null);
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,15}$")]
    private static partial Regex DeviceName();
}
