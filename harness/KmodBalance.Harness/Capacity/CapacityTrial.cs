using System.Globalization;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Compare;

namespace KmodBalance.Harness.Capacity;

/// <summary>What one capacity trial measured, or why it could not.</summary>
/// <param name="Ports">The flows' source ports, fresh per trial (they decide the hash placement).</param>
/// <param name="Sent">Datagrams udpflows sent.</param>
/// <param name="Delivered">Datagrams the queues' readers read within the window (each counted once).</param>
/// <param name="ThroughputMbps">Delivered UDP payload over the trial's duration.</param>
/// <param name="Drops">Sent but not delivered: dropped by tun (its ring full) or still queued when the window closed.</param>
/// <param name="TapTxDropped">The tap's tx_dropped over the trial: tun's ring was full.</param>
/// <param name="Reordered">Datagrams read after a later datagram of their flow, summed over the flows.</param>
/// <param name="Migrations">Flows the balancer moved (its statistics' "migrations" at the end of the trial; 0 without a balancer).</param>
/// <param name="QueueChanges">Queue changes of the flows in sequence order (a flow read from queues 0, 0, 2, 2 changed once):
/// the balancer's migrations and also a flow's first datagram steered by hash before the flow was admitted.</param>
/// <param name="QueueShares">Per queue, its share of the delivered datagrams.</param>
/// <param name="Jain">Jain's index of the per-queue delivered counts.</param>
/// <param name="Balancing">What the tap showed of the balancer ("on (policy P)", "off (stock)").</param>
public sealed record CapacityTrial(
    string Policy,
    int Trial,
    int Slot,
    IReadOnlyList<int> Ports,
    long Sent,
    long Delivered,
    double ThroughputMbps,
    double DeliveredFraction,
    long Drops,
    long TapTxDropped,
    long Reordered,
    long Migrations,
    long QueueChanges,
    IReadOnlyList<double> QueueShares,
    double Jain,
    string Balancing,
    double WallSeconds,
    string? Error)
{
    public bool Measured => Error is null;

    /// <summary>adaptive: of <see cref="TapTxDropped"/>, the packets dropped because their flow paused at its
    /// full old ring (the statistics' "pause_drops" at the end of the trial); null for other policies.</summary>
    public long? PauseDrops { get; init; }

    public bool Dipped => Measured && DeliveredFraction < CapacityOptions.DipFraction;

    /// <summary>Pure: the trial's figures from what check-flows.sh printed for it.</summary>
    /// <exception cref="FormatException">The output is not a complete run of both tools.</exception>
    public static CapacityTrial From(ScheduledTrial slot, IReadOnlyList<int> ports, string output, CapacityOptions options, double wallSeconds)
    {
        ArgumentNullException.ThrowIfNull(slot);
        ArgumentNullException.ThrowIfNull(options);
        var o = CheckFlowsOutputParser.Parse(output);
        var sent = ToolOutputParser.ParseUdpflows(o.Udpflows);
        var seen = ToolOutputParser.ParseMqtap(o.Mqtap);
        var problems = new List<string>();
        if (o.UdpflowsExitCode != 0) problems.Add($"udpflows exited {o.UdpflowsExitCode} (it could not keep the schedule)");
        if (o.MqtapExitCode != 0) problems.Add($"mqtap exited {o.MqtapExitCode}: {o.MqtapStderr.Trim()}");
        if (seen.EndReason != "window") problems.Add($"mqtap stopped on '{seen.EndReason}', not at the end of its window");
        if (seen.UnknownFlows > 0) problems.Add($"{seen.UnknownFlows} datagrams of flows mqtap could not record");
        var missing = ports.Where(p => sent.Flows.All(f => f.Port != p)).ToList();
        if (missing.Count > 0) problems.Add("udpflows reports no flow " + string.Join(", ", missing));

        var delivered = seen.Flows.Sum(f => f.Unique);
        var sentCount = sent.Flows.Sum(f => f.Sent);
        var perQueue = Enumerable.Range(0, options.Queues)
            .Select(q => (double)(seen.Slots.FirstOrDefault(s => s.Slot == q)?.Frames ?? 0)).ToArray();
        var total = perQueue.Sum();
        if (delivered == 0) problems.Add("no datagram was delivered");
        return new CapacityTrial(slot.Policy.Name(), slot.Trial, slot.Slot, ports, sentCount, delivered,
            Math.Round(delivered * options.PayloadBytes * 8.0 / options.DurationSeconds / 1e6, 3),
            sentCount > 0 ? Math.Round(delivered / (double)sentCount, 4) : 0,
            sentCount - delivered,
            seen.TxDroppedBefore >= 0 ? seen.TxDroppedAfter - seen.TxDroppedBefore : 0,
            CountReordered(o.Mqtap),
            seen.Stats.LastOrDefault(s => !s.Stats.Off)?.Stats.Migrations ?? 0,
            seen.Segments.GroupBy(s => s.Port).Sum(g => g.Count() - 1),
            perQueue.Select(x => total > 0 ? Math.Round(x / total, 4) : 0).ToArray(),
            total > 0 ? Math.Round(Fairness.Jain(perQueue), 4) : 0,
            DescribeBalancing(seen),
            Math.Round(wallSeconds, 1),
            problems.Count == 0 ? null : string.Join("; ", problems))
        {
            PauseDrops = seen.Stats.LastOrDefault(s => !s.Stats.Off)?.Stats.PauseDrops,
        };
    }

    public static CapacityTrial Failed(ScheduledTrial slot, IReadOnlyList<int> ports, string error, double wallSeconds) =>
        new(slot.Policy.Name(), slot.Trial, slot.Slot, ports, 0, 0, 0, 0, 0, 0, 0, 0, 0, [], 0, "unknown", Math.Round(wallSeconds, 1), error);

    /// <summary>Pure: the sum of the "reordered=" counts of mqtap's flow lines.</summary>
    /// <exception cref="FormatException">A flow line without the count (an mqtap older than the capacity lab).</exception>
    public static long CountReordered(string mqtap)
    {
        ArgumentNullException.ThrowIfNull(mqtap);
        long sum = 0;
        foreach (var line in mqtap.Split('\n').Where(l => l.StartsWith("flow ", StringComparison.Ordinal)))
        {
            var f = ToolOutputParser.Fields(line);
            if (!f.TryGetValue("reordered", out var v) || !long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                throw new FormatException($"mqtap: no reordered= count in '{line.TrimEnd()}'");
            sum += n;
        }
        return sum;
    }

    /// <summary>Pure: the balancer as mqtap's samples showed it while the tap existed.</summary>
    public static string DescribeBalancing(MqtapReport seen)
    {
        ArgumentNullException.ThrowIfNull(seen);
        var on = seen.Stats.FirstOrDefault(s => !s.Stats.Off);
        return on is not null ? $"on (policy {on.Stats.Policy})"
            : seen.Stats.Count > 0 ? "off (the tap had no balancer state)"
            : "off (no balance attribute: stock tun)";
    }
}
