using System.Globalization;

namespace KmodBalance.Harness.Measurement;

/// <summary>The guest's TCP reordering and retransmission counters (Linux MIB): out-of-order segments queued
/// (TcpExt TCPOFOQueue), reordering detected through SACK (TCPSACKReorder) and through timestamps
/// (TCPTSReorder), and segments retransmitted (Tcp RetransSegs). Between two readings, what a flow moved
/// between queues cost TCP in the guest.</summary>
public sealed record TcpCounters(long OfoQueue, long SackReorder, long TsReorder, long RetransSegs)
{
    /// <summary>Prints /proc/net/netstat and /proc/net/snmp with a separator line between them.</summary>
    public const string ShellRead = "cat /proc/net/netstat; echo '" + Separator + "'; cat /proc/net/snmp";

    private const string Separator = "### kmb-snmp";

    /// <summary>Counts from <paramref name="before"/> to this reading.</summary>
    public TcpCounters Since(TcpCounters before)
    {
        ArgumentNullException.ThrowIfNull(before);
        return new TcpCounters(OfoQueue - before.OfoQueue, SackReorder - before.SackReorder, TsReorder - before.TsReorder,
            RetransSegs - before.RetransSegs);
    }

    /// <summary>Pure: the counters from <see cref="ShellRead"/>'s output.</summary>
    /// <exception cref="FormatException">Not both files, or a counter missing.</exception>
    public static TcpCounters Parse(string output)
    {
        ArgumentNullException.ThrowIfNull(output);
        var parts = output.Split(Separator);
        if (parts.Length != 2) throw new FormatException("expected /proc/net/netstat and /proc/net/snmp separated by '" + Separator + "'");
        var netstat = Mib(parts[0]);
        var snmp = Mib(parts[1]);
        return new TcpCounters(Get(netstat, "TcpExt", "TCPOFOQueue"), Get(netstat, "TcpExt", "TCPSACKReorder"),
            Get(netstat, "TcpExt", "TCPTSReorder"), Get(snmp, "Tcp", "RetransSegs"));
    }

    /// <summary>Pure: "Group: name name ...\nGroup: value value ..." line pairs into (group, name) -> value.</summary>
    /// <exception cref="FormatException">A header line without its value line, or the two of different lengths.</exception>
    public static Dictionary<(string Group, string Name), long> Mib(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var counters = new Dictionary<(string, string), long>();
        for (var i = 0; i + 1 < lines.Length; i += 2)
        {
            var names = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var values = lines[i + 1].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (names[0] != values[0] || !names[0].EndsWith(':') || names.Length != values.Length)
                throw new FormatException($"'{lines[i]}' is not followed by its values ('{lines[i + 1]}')");
            for (var k = 1; k < names.Length; k++)
                counters[(names[0][..^1], names[k])] = long.TryParse(values[k], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
                    ? v : throw new FormatException($"{names[0]} {names[k]}: '{values[k]}' is not a number");
        }
        if (lines.Length % 2 != 0) throw new FormatException($"'{lines[^1]}' has no value line");
        return counters;
    }

    private static long Get(Dictionary<(string, string), long> mib, string group, string name) =>
        mib.TryGetValue((group, name), out var v) ? v : throw new FormatException($"no {group} {name} counter");
}
