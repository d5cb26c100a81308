namespace KmodBalance.Harness.Measurement;

/// <summary>One queue's line of balance_stats: packets in the last completed period and flows mapped.</summary>
public sealed record BalanceQueueStats(int Queue, long Load, long Flows);

/// <summary>The dynamic module's /sys/class/net/TAP/balance_stats at one moment.</summary>
public sealed record BalanceStats(long Flows, long Migrations, IReadOnlyList<BalanceQueueStats> Queues);

public static class BalanceStatsParser
{
    /// <summary>What the harness prints when the tap has no balance_stats (stock and hash modules).</summary>
    public const string Absent = "absent";

    /// <summary>
    /// Parses "flows N / migrations M / queue Q load L flows F" lines. Returns null for a module
    /// without the attribute (<see cref="Absent"/> or empty) or with the balancer off ("off").
    /// </summary>
    /// <exception cref="FormatException">Any other line, or a file without its flows/migrations lines.</exception>
    public static BalanceStats? Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var trimmed = text.Trim();
        if (trimmed.Length == 0 || trimmed is Absent or "off") return null;

        long? flows = null, migrations = null;
        var queues = new List<BalanceQueueStats>();
        foreach (var line in TextLines.Split(trimmed))
        {
            var t = TextLines.Tokens(line);
            switch (t)
            {
                case ["flows", var n]: flows = Number(n, line); break;
                case ["migrations", var n]: migrations = Number(n, line); break;
                case ["queue", var q, "load", var load, "flows", var f]:
                    queues.Add(new BalanceQueueStats((int)Number(q, line), Number(load, line), Number(f, line)));
                    break;
                case []: break;
                default: throw new FormatException($"balance_stats: unexpected line '{line}'");
            }
        }
        if (flows is null || migrations is null)
            throw new FormatException($"balance_stats: no flows/migrations lines in {TextLines.Excerpt(text)}");
        return new BalanceStats(flows.Value, migrations.Value, queues);
    }

    private static long Number(string token, string line) =>
        long.TryParse(token, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"balance_stats: '{token}' in '{line}' is not a count");
}
