using System.Globalization;

namespace KmodBalance.Harness.Measurement;

/// <summary>One queue of a device's block in /sys/kernel/debug/tun_balance: segments steered to it in
/// the last completed period (after that period's migrations) and the flows mapped to it.</summary>
public sealed record QueueBalance(int Queue, long Load, long Flows);

/// <summary>
/// One device's balancer statistics, from /sys/kernel/debug/tun_balance (docs/BALANCER.md,
/// "Statistics"): <c>device NAME ifindex I policy P flows F migrations M periods K counted S</c> (adaptive
/// adds <c>pauses A pause_drops D</c>) and, for dynamic and adaptive, <c>queue Q load L flows C</c> per queue. <see cref="Off"/> when the file has no block for
/// the device (balancing is off for it, or it is single-queue). <see cref="Balancers"/> is the file's
/// <c>balancers N</c> (states allocated on the host), <see cref="Requested"/> the device's
/// /sys/class/net/DEV/balance when the reader sampled it too (mqtap does).
/// </summary>
public sealed record BalanceStats(bool Off, long Flows, long Migrations, IReadOnlyList<QueueBalance> Queues)
{
    public static BalanceStats Disabled { get; } = new(true, 0, 0, []);

    /// <summary>The file's "balancers N" line; null when it was not read.</summary>
    public long? Balancers { get; init; }

    /// <summary>The device the block belongs to (null: <see cref="Off"/>).</summary>
    public string? Device { get; init; }

    public int Ifindex { get; init; }

    /// <summary>"dynamic" or "hash" (null: <see cref="Off"/>).</summary>
    public string? Policy { get; init; }

    /// <summary>Remaps since the state was allocated (0 for hash).</summary>
    public long Periods { get; init; }

    /// <summary>Segments in the loads of all <see cref="Periods"/> so far (0 for hash): what the balancer
    /// counted, whether or not a reader saw each period. Null from a module built before the kernel
    /// printed it (a device line that ends at "periods K").</summary>
    public long? Counted { get; init; }

    /// <summary>adaptive: flows that paused at a full ring since the state was allocated (u32, wraps);
    /// null for other policies.</summary>
    public long? Pauses { get; init; }

    /// <summary>adaptive: packets of paused flows dropped at their ring (u32, wraps); null for other policies.</summary>
    public long? PauseDrops { get; init; }

    /// <summary>/sys/class/net/DEV/balance (0 or 1) at the same time; null when not read.</summary>
    public int? Requested { get; init; }

    /// <summary>Largest minus smallest per-queue load (0 without queues).</summary>
    public long LoadSpread => Queues.Count == 0 ? 0 : Queues.Max(q => q.Load) - Queues.Min(q => q.Load);

    /// <summary>Segments of the last completed period over all queues (migrations move load, never lose it).</summary>
    public long TotalLoad => Queues.Sum(q => q.Load);
}

/// <summary>Parses /sys/kernel/debug/tun_balance, whole or as mqtap's one-line sample (lines joined by
/// " | ", only its device's block kept, with a leading "balance V" for the sysfs attribute).</summary>
public static class BalanceStatsParser
{
    /// <summary>What readers print when the file does not exist (a stock module, or debugfs not mounted).</summary>
    public const string Absent = "absent";

    /// <summary>The statistics file for lab snapshots and check-flows.sh.</summary>
    public const string DebugfsPath = "/sys/kernel/debug/tun_balance";

    /// <summary>A shell snippet that prints the file (mounting debugfs first if needed) or <see cref="Absent"/>.</summary>
    public const string ShellRead =
        "{ [ -e " + DebugfsPath + " ] || mount -t debugfs none /sys/kernel/debug 2>/dev/null; cat " + DebugfsPath + " 2>/dev/null || echo " + Absent + "; }";

    /// <summary><paramref name="device"/>'s statistics, or null when the file was <see cref="Absent"/> (stock module).</summary>
    /// <exception cref="FormatException">Text that is not the statistics file.</exception>
    public static BalanceStats? ParseOptional(string text, string device)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim() is "" or Absent ? null : Parse(text, device);
    }

    /// <summary>Every device block of the file, and its "balancers" count.</summary>
    /// <exception cref="FormatException">Text that is not the statistics file.</exception>
    public static (long Balancers, IReadOnlyList<BalanceStats> Devices) ParseFile(string text)
    {
        var (balancers, _, devices) = Read(text);
        if (balancers is null) throw new FormatException($"tun_balance: no 'balancers' line in '{Short(text)}'");
        return (balancers.Value, devices);
    }

    /// <summary><paramref name="device"/>'s block (<see cref="BalanceStats.Off"/> when it has none); other
    /// devices' blocks are skipped. Without <paramref name="device"/> the text must hold at most one block.</summary>
    /// <exception cref="FormatException">Text that is not the statistics file.</exception>
    public static BalanceStats Parse(string text, string? device = null)
    {
        var (balancers, requested, devices) = Read(text);
        if (balancers is null && requested is null)
            throw new FormatException($"tun_balance: neither a 'balancers' nor a 'balance' line in '{Short(text)}'");
        var mine = device is null ? devices : devices.Where(d => d.Device == device).ToList();
        if (mine.Count > 1)
            throw new FormatException($"tun_balance: {mine.Count} blocks for {(device is null ? "the devices" : device)} in '{Short(text)}'");
        var stats = mine.Count == 1 ? mine[0] : BalanceStats.Disabled;
        return stats with { Balancers = balancers, Requested = requested };
    }

    private static (long? Balancers, int? Requested, List<BalanceStats> Devices) Read(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        long? balancers = null;
        int? requested = null;
        var devices = new List<BalanceStats>();
        List<QueueBalance>? queues = null;
        foreach (var line in text.Split(['\n', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var w = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (w)
            {
                case ["balancers", var n]:
                    balancers = Number(n, line);
                    break;
                case ["balance", var v]:
                    requested = (int)Number(v, line);
                    break;
                case ["device", var name, "ifindex", var ifindex, "policy", var policy, "flows", var f, "migrations", var m, "periods", var k, .. var rest]:
                    queues = [];
                    var (counted, pauses, pauseDrops) = rest switch
                    {
                        [] => ((long?)null, (long?)null, (long?)null),
                        ["counted", var c] => (Number(c, line), null, null),
                        ["counted", var c, "pauses", var a, "pause_drops", var d] => (Number(c, line), Number(a, line), Number(d, line)),
                        _ => throw new FormatException($"tun_balance: unexpected end of a device line '{line}'"),
                    };
                    devices.Add(new BalanceStats(false, Number(f, line), Number(m, line), queues)
                    {
                        Device = name, Ifindex = (int)Number(ifindex, line), Policy = policy, Periods = Number(k, line),
                        Counted = counted, Pauses = pauses, PauseDrops = pauseDrops,
                    });
                    break;
                case ["queue", var q, "load", var l, "flows", var c]:
                    if (queues is null)
                        throw new FormatException($"tun_balance: a queue line before any device line: '{line}'");
                    var queue = (int)Number(q, line);
                    if (queue != queues.Count)
                        throw new FormatException($"tun_balance: queue {queue} out of order in '{line}'");
                    queues.Add(new QueueBalance(queue, Number(l, line), Number(c, line)));
                    break;
                default: throw new FormatException($"tun_balance: unexpected line '{line}'");
            }
        }
        return (balancers, requested, devices);
    }

    private static string Short(string text) => text.Trim().Length > 200 ? text.Trim()[..200] + "..." : text.Trim();

    private static long Number(string s, string line) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= uint.MaxValue
            ? v
            : throw new FormatException($"tun_balance: '{s}' is not a u32 in '{line}'");
}
