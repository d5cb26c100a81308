using System.Globalization;
using KmodBalance.Harness.Measurement;

namespace KmodBalance.Harness.Steering;

/// <summary>
/// The stats adapter of the eBPF back end: kmbsteer's statistics file (rewritten after every period,
/// kmod/ebpf/kmbsteer.c <c>steer_write_stats</c>) as the <see cref="BalanceStats"/> the lab already reads
/// from the module's /sys/kernel/debug/tun_balance. The file is
/// <c>device D policy dynamic backend ebpf queues N flows F migrations M periods K [counted S]</c>, then
/// <c>queue Q load L flows C</c> for Q = 0 .. N-1: the same figures, from the same balancer core's
/// <c>tun_balance_snapshot()</c>. What the module's file has and this one cannot: an ifindex (0 here),
/// the host-wide <c>balancers</c> line and the device's <c>balance</c> attribute (both null here: a
/// stock tun has neither).
/// </summary>
public static class SteerStatsParser
{
    /// <summary>What the lab's readers print when the file does not exist (kmbsteer not attached, or
    /// not through its first period yet); the same word as <see cref="BalanceStatsParser.Absent"/>.</summary>
    public const string Absent = BalanceStatsParser.Absent;

    /// <summary><paramref name="device"/>'s statistics, or null when the file was <see cref="Absent"/>.</summary>
    /// <exception cref="FormatException">Text that is not kmbsteer's statistics, or another device's.</exception>
    public static BalanceStats? ParseOptional(string text, string device)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim() is "" or Absent ? null : Parse(text, device);
    }

    /// <exception cref="FormatException">Text that is not kmbsteer's statistics of <paramref name="device"/>
    /// (null: any device), or whose queue lines do not match its queue count.</exception>
    public static BalanceStats Parse(string text, string? device = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        BalanceStats? stats = null;
        var queueCount = 0;
        var queues = new List<QueueBalance>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var w = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (w)
            {
                case ["device", var name, "policy", var policy, "backend", "ebpf", "queues", var n, "flows", var f, "migrations", var m, "periods", var k, .. var rest]:
                    if (stats is not null) throw new FormatException($"kmbsteer stats: a second device line '{line}'");
                    if (device is not null && name != device)
                        throw new FormatException($"kmbsteer stats: the file is {name}'s, not {device}'s");
                    queueCount = (int)Number(n, line);
                    stats = new BalanceStats(false, Number(f, line), Number(m, line), queues)
                    {
                        Device = name, Policy = policy, Periods = Number(k, line),
                        Counted = rest switch
                        {
                            [] => null,
                            ["counted", var c] => Number(c, line),
                            _ => throw new FormatException($"kmbsteer stats: unexpected end of the device line '{line}'"),
                        },
                    };
                    break;
                case ["queue", var q, "load", var l, "flows", var c]:
                    if (stats is null) throw new FormatException($"kmbsteer stats: a queue line before the device line: '{line}'");
                    var queue = (int)Number(q, line);
                    if (queue != queues.Count) throw new FormatException($"kmbsteer stats: queue {queue} out of order in '{line}'");
                    queues.Add(new QueueBalance(queue, Number(l, line), Number(c, line)));
                    break;
                default: throw new FormatException($"kmbsteer stats: unexpected line '{line}'");
            }
        }
        if (stats is null) throw new FormatException($"kmbsteer stats: no device line in '{Short(text)}'");
        if (queues.Count != queueCount)
            throw new FormatException($"kmbsteer stats: {queues.Count} queue lines for queues {queueCount} (a file cut short?)");
        return stats;
    }

    private static string Short(string text) => text.Trim().Length > 200 ? text.Trim()[..200] + "..." : text.Trim();

    private static long Number(string s, string line) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= uint.MaxValue
            ? v
            : throw new FormatException($"kmbsteer stats: '{s}' is not a u32 in '{line}'");
}
