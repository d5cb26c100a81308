using System.Globalization;
using System.Net;

namespace KmodBalance.Model.Simulation;

/// <summary>One host -> guest packet of a trace.</summary>
public sealed record TracePacket(ulong TimeUs, FiveTuple Tuple, uint Size);

/// <summary>A trace line that cannot be read; <see cref="Line"/> is 1-based.</summary>
public sealed class TraceFormatException(int line, string problem)
    : FormatException($"trace line {line}: {problem}")
{
    public int Line { get; } = line;
    public string Problem { get; } = problem;
}

/// <summary>
/// Reads a packet trace: CSV, one packet per line,
/// <c>time_us,src,dst,sport,dport,proto,size</c>. <c>time_us</c> is a non-negative integer
/// (microseconds from the trace start, at most <see cref="MaxTimeUs"/>), <c>src</c>/<c>dst</c> IPv4 or IPv6 addresses,
/// ports 0-65535, <c>proto</c> <c>tcp</c>, <c>udp</c> or a number 0-255, <c>size</c> bytes
/// 1-262144 (GSO packets are large). An optional header line starting with
/// <c>time_us</c>, blank lines and lines starting with <c>#</c> are skipped. Packets
/// are returned sorted by time (stable).
/// </summary>
public static class TraceParser
{
    public const string Header = "time_us,src,dst,sport,dport,proto,size";
    public const uint MaxPacketBytes = 262144;

    /// <summary>One hour. The simulator steps through every tick up to the last packet, once per run and
    /// policy (an hour of trace is about a third of a second per run), so a far-off timestamp would make
    /// it run for centuries rather than fail.</summary>
    public const ulong MaxTimeUs = 3_600_000_000;

    public static IReadOnlyList<TracePacket> Parse(string text)
    {
        var packets = new List<TracePacket>();
        using var reader = new StringReader(text);
        int lineNo = 0;
        for (string? line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNo++;
            var trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
                continue;
            if (packets.Count == 0 && trimmed.StartsWith("time_us", StringComparison.OrdinalIgnoreCase))
                continue;
            packets.Add(ParseLine(trimmed, lineNo));
        }
        if (packets.Count == 0)
            throw new TraceFormatException(Math.Max(lineNo, 1), $"the trace holds no packets; expected lines of '{Header}'");
        return [.. packets.OrderBy(p => p.TimeUs)];
    }

    public static IReadOnlyList<TracePacket> ParseFile(string path) => Parse(File.ReadAllText(path));

    private static TracePacket ParseLine(string line, int n)
    {
        var f = line.Split(',');
        if (f.Length != 7)
            throw new TraceFormatException(n, $"expected 7 comma-separated fields ({Header}), got {f.Length}");
        for (int i = 0; i < f.Length; i++)
            f[i] = f[i].Trim();
        if (!ulong.TryParse(f[0], NumberStyles.None, CultureInfo.InvariantCulture, out var time))
            throw new TraceFormatException(n, $"time_us '{f[0]}' is not a non-negative integer");
        if (time > MaxTimeUs)
            throw new TraceFormatException(n, $"time_us {time} is above the limit of {MaxTimeUs} (one hour of trace); " +
                "cut the trace or shift its times to start near 0");
        var src = Address(f[1], "src", n);
        var dst = Address(f[2], "dst", n);
        var sport = Port(f[3], "sport", n);
        var dport = Port(f[4], "dport", n);
        byte proto = f[5].ToLowerInvariant() switch
        {
            "tcp" => FiveTuple.Tcp,
            "udp" => FiveTuple.Udp,
            var p when byte.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var b) => b,
            _ => throw new TraceFormatException(n, $"proto '{f[5]}' is not tcp, udp or a number 0-255"),
        };
        if (!uint.TryParse(f[6], NumberStyles.None, CultureInfo.InvariantCulture, out var size) || size == 0 || size > MaxPacketBytes)
            throw new TraceFormatException(n, $"size '{f[6]}' is not a byte count 1-{MaxPacketBytes}");
        return new TracePacket(time, new FiveTuple(src, dst, sport, dport, proto), size);
    }

    private static IPAddress Address(string s, string field, int n) =>
        // IPAddress also takes inet_aton shorthands ("10.0.0", "167772161"): demand a full dotted quad or IPv6.
        IPAddress.TryParse(s, out var a) && (s.Contains(':') || s.Split('.').Length == 4)
            ? a
            : throw new TraceFormatException(n, $"{field} '{s}' is not an IPv4 or IPv6 address");

    private static ushort Port(string s, string field, int n) =>
        ushort.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var p)
            ? p
            : throw new TraceFormatException(n, $"{field} '{s}' is not a port 0-65535");
}
