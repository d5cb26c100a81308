using System.Globalization;
using KmodBalance.Harness.Measurement;

namespace KmodBalance.Harness.Check;

/// <summary>slot -> queue index (-1 = detached) in force from <paramref name="TimeUs"/> on.</summary>
public sealed record SlotMap(long TimeUs, IReadOnlyList<int> QueueOfSlot);

/// <summary>One TUNSETQUEUE mqtap ran; times in µs from the anchor.</summary>
public sealed record QueueEventResult(QueueOp Op, int Slot, int AtMs, bool Done, int ReturnCode, int Errno,
    long BeginUs, long EndUs, long DrainedBefore, long DrainedAfter);

/// <summary>The tap's balance attribute and its block of /sys/kernel/debug/tun_balance as mqtap
/// sampled them when they changed (every remap changes the block's "periods").</summary>
public sealed record StatsSample(long TimeUs, BalanceStats Stats)
{
    /// <summary>When mqtap last read the file before this sample (it still showed the previous sample):
    /// a change, such as a remap, happened in (PrevUs, TimeUs]. Null in older output.</summary>
    public long? PrevUs { get; init; }
}

/// <summary>mqtap's -B: the value written to /sys/class/net/TAP/balance once the queues were open.</summary>
public sealed record BalanceRequest(int Requested, int Read, int Errno, bool MultiQueue);

/// <summary>A balance:V@MS event: /sys/class/net/TAP/balance written between BeginUs and EndUs.</summary>
public sealed record BalanceToggle(int Value, int AtMs, bool Done, int ReturnCode, int Errno, long BeginUs, long EndUs, int Read);

/// <summary>A "guest reply" mqtap wrote for flow <paramref name="Port"/> on file <paramref name="Slot"/>
/// (tun_get_user() learns the queue for automq inside that write()).</summary>
public sealed record ReplySent(int Port, int Slot, long BeginUs, long EndUs, int ReturnCode, int Errno);

/// <summary>Flood datagrams sent in [TimeUs, TimeUs + WidthUs), per slot.</summary>
public sealed record FloodBucket(long TimeUs, long WidthUs, IReadOnlyList<long> FramesPerSlot);

/// <summary>Netconsole datagrams (mqtap's -N PORT): when the first and last were read.</summary>
public sealed record NetconsSeen(int Port, long FirstUs, long LastUs);

/// <summary>udpflows' flood: one-datagram flows from random ports, as fast as L1 sends.</summary>
public sealed record FloodSent(long Count, long Sent, long Errors, int StartMs, long FirstNs, long LastNs, long Pps, uint Seed);

/// <summary>Datagrams of a flow sent in [TimeMs, TimeMs + bucket), per slot.</summary>
public sealed record FlowBucket(int Port, long TimeMs, IReadOnlyList<long> FramesPerSlot);

/// <summary>A run of a flow's sequence numbers all read from one slot.</summary>
public sealed record FlowSegment(int Port, int Slot, long FirstSeq, long LastSeq, long Frames, long FirstUs, long LastUs);

/// <summary>Sequence numbers of a flow never read, with the send times of the neighbours.</summary>
public sealed record FlowGap(int Port, long FirstSeq, long LastSeq, long? PrevUs, long NextUs)
{
    public long Count => LastSeq - FirstSeq + 1;
}

public sealed record FlowSummary(int Port, long Frames, long Unique, long Duplicates, long Beyond, long MaxSeq, long LastUs, long Gaps)
{
    /// <summary>Datagrams read after a datagram of the flow with a higher sequence number (null: an mqtap that did not count them).</summary>
    public long? Reordered { get; init; }
}

public sealed record SlotSummary(int Slot, long Frames, long Other, long DetachedReads)
{
    /// <summary>Flood datagrams read from the slot.</summary>
    public long Flood { get; init; }

    /// <summary>Netconsole datagrams read from the slot.</summary>
    public long Netcons { get; init; }
}

/// <summary>Everything mqtap reported (see kmod/lab-tools/README.md).</summary>
public sealed record MqtapReport(
    string IfName,
    int Queues,
    int BucketMs,
    long AnchorNs,
    IReadOnlyList<SlotMap> Maps,
    IReadOnlyList<QueueEventResult> Events,
    IReadOnlyList<StatsSample> Stats,
    IReadOnlyList<FlowBucket> Buckets,
    IReadOnlyList<FlowSegment> Segments,
    IReadOnlyList<FlowGap> Gaps,
    IReadOnlyList<FlowSummary> Flows,
    IReadOnlyList<SlotSummary> Slots,
    long TxDroppedBefore,
    long TxDroppedAfter,
    long Other,
    long DetachedReads,
    long UnknownFlows,
    string EndReason)
{
    /// <summary>What -B wrote to the balance attribute (null: nothing).</summary>
    public BalanceRequest? Balance { get; init; }

    public IReadOnlyList<BalanceToggle> Toggles { get; init; } = [];

    public IReadOnlyList<ReplySent> Replies { get; init; } = [];

    public IReadOnlyList<FloodBucket> Flood { get; init; } = [];

    /// <summary>Flood datagrams read (including those beyond mqtap's buckets).</summary>
    public long FloodFrames { get; init; }

    public NetconsSeen? Netcons { get; init; }

    /// <summary>The queue index of <paramref name="slot"/> for a datagram sent at <paramref name="timeUs"/>.</summary>
    public int QueueOf(int slot, long timeUs)
    {
        var map = Maps.Where(m => m.TimeUs <= timeUs).LastOrDefault() ?? Maps[0];
        return slot < map.QueueOfSlot.Count ? map.QueueOfSlot[slot] : -1;
    }

    public IEnumerable<FlowSegment> SegmentsOf(int port) => Segments.Where(s => s.Port == port).OrderBy(s => s.FirstSeq);
}

/// <summary>udpflows' report of one flow.</summary>
/// <param name="MaxSendUs">The longest send(): tun chooses the queue inside it, after the datagram's
/// stamp, so the choice was made within this much after the send time the datagram carries (0 from
/// a udpflows that did not measure it).</param>
public sealed record SentFlow(int Port, int Pps, int StartMs, long Count, long Sent, long Errors, long FirstNs, long LastNs, long MaxLateUs,
    long MaxSendUs = 0);

public sealed record UdpflowsReport(long StartNs, IReadOnlyList<SentFlow> Flows, long WallMs, bool Stopped)
{
    public FloodSent? Flood { get; init; }
}

/// <summary>Pure parsers of mqtap's and udpflows' line output.</summary>
public static class ToolOutputParser
{
    /// <exception cref="FormatException">Not a complete mqtap report.</exception>
    public static MqtapReport ParseMqtap(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Dictionary<string, string>? header = null, end = null, tx = null;
        var maps = new List<SlotMap>();
        var events = new List<QueueEventResult>();
        var stats = new List<StatsSample>();
        var buckets = new List<FlowBucket>();
        var segments = new List<FlowSegment>();
        var gaps = new List<FlowGap>();
        var flows = new List<FlowSummary>();
        var slots = new List<SlotSummary>();
        var toggles = new List<BalanceToggle>();
        var replies = new List<ReplySent>();
        var flood = new List<FloodBucket>();
        BalanceRequest? balance = null;
        NetconsSeen? netcons = null;
        long floodFrames = 0;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            var kind = line.Split(' ', 2)[0];
            switch (kind)
            {
                case "mqtap": header = Fields(line); break;
                case "balance":
                {
                    var f = Fields(line);
                    balance = new BalanceRequest((int)Int(f, "requested", line), (int)Int(f, "read", line), (int)Int(f, "errno", line),
                        Int(f, "multi_queue", line) != 0);
                    break;
                }
                case "reply":
                {
                    var f = Fields(line);
                    if (f.ContainsKey("truncated")) throw new FormatException("mqtap: more replies than it could record");
                    replies.Add(new ReplySent((int)Int(f, "flow", line), (int)Int(f, "slot", line), Long(f, "begin_us", line), Long(f, "end_us", line),
                        (int)Int(f, "rc", line), (int)Int(f, "errno", line)));
                    break;
                }
                case "flood":
                {
                    var f = Fields(line);
                    flood.Add(new FloodBucket(Long(f, "t_us", line), Long(f, "width_us", line),
                        Get(f, "frames", line).Split(',').Select(v => ParseLong(v, line)).ToList()));
                    break;
                }
                case "floodsum": floodFrames = Long(Fields(line), "frames", line); break;
                case "netcons":
                {
                    var f = Fields(line);
                    netcons = new NetconsSeen((int)Int(f, "port", line), Long(f, "first_us", line), Long(f, "last_us", line));
                    break;
                }
                case "map":
                {
                    var f = Fields(line);
                    var slotsOf = f.Keys.Where(k => k.StartsWith("slot", StringComparison.Ordinal))
                        .Select(k => (Slot: int.Parse(k[4..], CultureInfo.InvariantCulture), Queue: Int(f, k, line)))
                        .OrderBy(p => p.Slot).ToList();
                    if (slotsOf.Select(p => p.Slot).Where((s, i) => s != i).Any())
                        throw new FormatException($"mqtap: slots not 0..n-1 in '{line}'");
                    maps.Add(new SlotMap(Long(f, "t_us", line), slotsOf.Select(p => (int)p.Queue).ToList()));
                    break;
                }
                case "event":
                {
                    var f = Fields(line);
                    if (Get(f, "op", line) == "balance")
                    {
                        toggles.Add(new BalanceToggle((int)Int(f, "value", line), (int)Int(f, "at_ms", line), Int(f, "done", line) == 1,
                            (int)Int(f, "rc", line), (int)Int(f, "errno", line), Long(f, "begin_us", line), Long(f, "end_us", line),
                            (int)Int(f, "read", line)));
                        break;
                    }
                    var op = Get(f, "op", line) switch
                    {
                        "detach" => QueueOp.Detach,
                        "attach" => QueueOp.Attach,
                        var o => throw new FormatException($"mqtap: unknown event op '{o}'"),
                    };
                    events.Add(new QueueEventResult(op, (int)Int(f, "slot", line), (int)Int(f, "at_ms", line), Int(f, "done", line) == 1,
                        (int)Int(f, "rc", line), (int)Int(f, "errno", line), Long(f, "begin_us", line), Long(f, "end_us", line),
                        Long(f, "drained_before", line), Long(f, "drained_after", line)));
                    break;
                }
                case "stats":
                {
                    var bar = line.IndexOf('|', StringComparison.Ordinal);
                    if (line.StartsWith("stats truncated", StringComparison.Ordinal)) break;
                    if (bar < 0) throw new FormatException($"mqtap: stats line without a sample: '{line}'");
                    if (header is null) throw new FormatException("mqtap: a stats line before the header");
                    var sf = Fields(line[..bar]);
                    stats.Add(new StatsSample(Long(sf, "t_us", line), BalanceStatsParser.Parse(line[(bar + 1)..], Get(header, "ifname", "header")))
                    {
                        PrevUs = sf.ContainsKey("prev_us") ? Long(sf, "prev_us", line) : null,
                    });
                    break;
                }
                case "bucket":
                {
                    var f = Fields(line);
                    var frames = Get(f, "frames", line).Split(',').Select(v => ParseLong(v, line)).ToList();
                    buckets.Add(new FlowBucket((int)Int(f, "flow", line), Long(f, "t_ms", line), frames));
                    break;
                }
                case "seg":
                {
                    var f = Fields(line);
                    segments.Add(new FlowSegment((int)Int(f, "flow", line), (int)Int(f, "slot", line), Long(f, "first_seq", line),
                        Long(f, "last_seq", line), Long(f, "frames", line), Long(f, "first_us", line), Long(f, "last_us", line)));
                    break;
                }
                case "gap":
                {
                    var f = Fields(line);
                    var prev = Get(f, "prev_us", line);
                    gaps.Add(new FlowGap((int)Int(f, "flow", line), Long(f, "first_seq", line), Long(f, "last_seq", line),
                        prev == "none" ? null : ParseLong(prev, line), Long(f, "next_us", line)));
                    break;
                }
                case "flow":
                {
                    var f = Fields(line);
                    flows.Add(new FlowSummary((int)Int(f, "sport", line), Long(f, "frames", line), Long(f, "unique", line),
                        Long(f, "dups", line), Long(f, "beyond", line), Long(f, "max_seq", line),
                        f.ContainsKey("last_us") ? Long(f, "last_us", line) : 0, f.ContainsKey("gaps") ? Long(f, "gaps", line) : 0)
                    {
                        Reordered = f.ContainsKey("reordered") ? Long(f, "reordered", line) : null,
                    });
                    break;
                }
                case "slot":
                {
                    var f = Fields(line);
                    slots.Add(new SlotSummary((int)Int(f, "slot", line), Long(f, "frames", line), Long(f, "other", line), Long(f, "detached_reads", line))
                    {
                        Flood = f.ContainsKey("flood") ? Long(f, "flood", line) : 0,
                        Netcons = f.ContainsKey("netcons") ? Long(f, "netcons", line) : 0,
                    });
                    break;
                }
                case "txdropped": tx = Fields(line); break;
                case "end": end = Fields(line); break;
            }
        }
        if (header is null) throw new FormatException("mqtap: no 'mqtap ...' header line (did it run?)");
        if (end is null) throw new FormatException("mqtap: no 'end ...' line (the report is cut short)");
        if (maps.Count == 0) throw new FormatException("mqtap: no initial 'map' line");
        return new MqtapReport(Get(header, "ifname", "header"), (int)Int(header, "queues", "header"), (int)Int(header, "bucket_ms", "header"),
            Long(header, "anchor_ns", "header"), maps, events, stats, buckets, segments, gaps, flows, slots,
            tx is null ? -1 : Long(tx, "before", "txdropped"), tx is null ? -1 : Long(tx, "after", "txdropped"),
            Long(end, "other", "end"), Long(end, "detached_reads", "end"), Long(end, "unknown_flows", "end"), Get(end, "reason", "end"))
        {
            Balance = balance, Toggles = toggles, Replies = replies, Flood = flood, FloodFrames = floodFrames, Netcons = netcons,
        };
    }

    /// <exception cref="FormatException">Not a complete udpflows report.</exception>
    public static UdpflowsReport ParseUdpflows(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        Dictionary<string, string>? start = null, end = null;
        var flows = new List<SentFlow>();
        FloodSent? flood = null;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("udpflows start_ns=", StringComparison.Ordinal)) start = Fields(line);
            else if (line.StartsWith("flood count=", StringComparison.Ordinal))
            {
                var f = Fields(line);
                flood = new FloodSent(Long(f, "count", line), Long(f, "sent", line), Long(f, "errors", line), (int)Int(f, "start_ms", line),
                    Long(f, "first_ns", line), Long(f, "last_ns", line), Long(f, "pps", line), (uint)Long(f, "seed", line));
            }
            else if (line.StartsWith("udpflows end ", StringComparison.Ordinal)) end = Fields(line);
            else if (line.StartsWith("sent ", StringComparison.Ordinal))
            {
                var f = Fields(line);
                flows.Add(new SentFlow((int)Int(f, "sport", line), (int)Int(f, "pps", line), (int)Int(f, "start_ms", line), Long(f, "count", line),
                    Long(f, "sent", line), Long(f, "errors", line), Long(f, "first_ns", line), Long(f, "last_ns", line), Long(f, "max_late_us", line),
                    f.ContainsKey("max_send_us") ? Long(f, "max_send_us", line) : 0));
            }
        }
        if (start is null) throw new FormatException("udpflows: no 'udpflows start_ns=' line (did it run?)");
        if (end is null) throw new FormatException("udpflows: no 'udpflows end' line (it did not finish)");
        return new UdpflowsReport(Long(start, "start_ns", "start"), flows, Long(end, "wall_ms", "end"), Int(end, "stopped", "end") != 0) { Flood = flood };
    }

    /// <summary>key=value tokens of a line (other tokens are ignored).</summary>
    public static Dictionary<string, string> Fields(string line)
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var token in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = token.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0) d[token[..eq]] = token[(eq + 1)..];
        }
        return d;
    }

    private static string Get(Dictionary<string, string> f, string key, string line) =>
        f.TryGetValue(key, out var v) ? v : throw new FormatException($"no '{key}=' in '{line}'");

    private static long Long(Dictionary<string, string> f, string key, string line) => ParseLong(Get(f, key, line), line);

    private static long Int(Dictionary<string, string> f, string key, string line) => ParseLong(Get(f, key, line), line);

    private static long ParseLong(string s, string line) =>
        long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var v)
            ? v
            : throw new FormatException($"'{s}' is not a number in '{line}'");
}
