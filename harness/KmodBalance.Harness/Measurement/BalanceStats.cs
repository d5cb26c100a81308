using System.Globalization;

namespace KmodBalance.Harness.Measurement;

/// <summary>One queue of /sys/class/net/TAP/balance_stats: packets steered to it in the last
/// completed period (after that period's migrations) and the flows mapped to it.</summary>
public sealed record QueueBalance(int Queue, long Load, long Flows);

/// <summary>/sys/class/net/TAP/balance_stats of the dynamic module, or <see cref="Off"/> when the
/// device has no balancer (it could not allocate one).</summary>
public sealed record BalanceStats(bool Off, long Flows, long Migrations, IReadOnlyList<QueueBalance> Queues)
{
    public static BalanceStats Disabled { get; } = new(true, 0, 0, []);

    /// <summary>Largest minus smallest per-queue load (0 without queues).</summary>
    public long LoadSpread => Queues.Count == 0 ? 0 : Queues.Max(q => q.Load) - Queues.Min(q => q.Load);
}

/// <summary>Parses balance_stats: "off", or "flows N", "migrations M", then "queue Q load L flows F"
/// per queue, one per line (mqtap joins the lines with " | ").</summary>
public static class BalanceStatsParser
{
    /// <summary>What the lab's snapshot prints when the tap has no balance_stats (stock and hash modules).</summary>
    public const string Absent = "absent";

    /// <summary>A lab snapshot's balance_stats: null for a module without the attribute (<see cref="Absent"/> or nothing).</summary>
    /// <exception cref="FormatException">Text that is not balance_stats.</exception>
    public static BalanceStats? ParseOptional(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Trim() is "" or Absent ? null : Parse(text);
    }

    /// <exception cref="FormatException">Text that is not balance_stats.</exception>
    public static BalanceStats Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split(['\n', '|'], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines is ["off"])
            return BalanceStats.Disabled;
        long? flows = null, migrations = null;
        var queues = new List<QueueBalance>();
        foreach (var line in lines)
        {
            var w = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            switch (w)
            {
                case ["flows", var n]: flows = Number(n, line); break;
                case ["migrations", var n]: migrations = Number(n, line); break;
                case ["queue", var q, "load", var l, "flows", var f]:
                    var queue = (int)Number(q, line);
                    if (queue != queues.Count)
                        throw new FormatException($"balance_stats: queue {queue} out of order in '{line}'");
                    queues.Add(new QueueBalance(queue, Number(l, line), Number(f, line)));
                    break;
                default: throw new FormatException($"balance_stats: unexpected line '{line}'");
            }
        }
        if (flows is null || migrations is null)
            throw new FormatException($"balance_stats: no 'flows' or 'migrations' line in '{text.Trim()}'");
        return new BalanceStats(false, flows.Value, migrations.Value, queues);
    }

    private static long Number(string s, string line) =>
        long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v <= uint.MaxValue
            ? v
            : throw new FormatException($"balance_stats: '{s}' is not a u32 in '{line}'");
}
