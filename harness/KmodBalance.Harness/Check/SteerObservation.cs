using System.Net;
using System.Net.Sockets;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Steering;

namespace KmodBalance.Harness.Check;

/// <summary>
/// `lab check --backend ebpf`: the facts the judge reads from the module's debugfs file and balance
/// attribute (mqtap's samples and switches), read instead from kmbsteer's history through the stats adapter
/// (<see cref="SteerStatsParser"/>). What maps to what:
/// <list type="bullet">
/// <item>a sample of the device's block = a remap kmbsteer recorded: its statistics, at the end of the remap
/// (the decisions were in the maps), with the remap's start as the reading before it. The module's samples
/// bound a remap between two 5 ms readings; these bound it by the remap itself.</item>
/// <item>"balance" (the attribute) = whether kmbsteer's program is set on the device (1 from the attach's end
/// to the detach's start); "balancers" (states on the host) = kmbsteer runs attached (1 or 0). Before kmbsteer
/// started and after its detach the device has no block.</item>
/// <item>optin's switches = kmbsteer's attach (TUNSETSTEERINGEBPF with the program) and detach (with -1).</item>
/// </list>
/// Pure.
/// </summary>
public static class SteerObservation
{
    /// <summary><paramref name="seen"/> with the samples (and, for a scenario that switches, the switches)
    /// of kmbsteer's run; mqtap sampled nothing on a tun without debugfs statistics.</summary>
    public static MqtapReport Apply(MqtapReport seen, SteerHistory history, SteerRun run, CheckScenario s)
    {
        ArgumentNullException.ThrowIfNull(seen);
        ArgumentNullException.ThrowIfNull(history);
        ArgumentNullException.ThrowIfNull(s);
        // a scenario that switches is sampled before, while and after; the others, as mqtap samples the module's
        // block while the tap lives, only while kmbsteer steers (its detach after the traffic is no sample)
        var result = seen with { Stats = Samples(history, seen.AnchorNs, switches: !s.Balance) };
        if (!s.Balance)
            result = result with { Toggles = Toggles(history, run, s, seen.AnchorNs) };
        return result;
    }

    /// <param name="switches">Also the state before kmbsteer attached and after its detach (no block).</param>
    public static IReadOnlyList<StatsSample> Samples(SteerHistory h, long anchorNs, bool switches)
    {
        var samples = new List<StatsSample>();
        var none = BalanceStats.Disabled with { Balancers = 0, Requested = 0 };
        if (switches && h.StartNs is { } start)
            samples.Add(new StatsSample(Rel(start, anchorNs), none) { PrevUs = Rel(start, anchorNs) });
        foreach (var r in h.Remaps)
            samples.Add(new StatsSample(Rel(r.EndNs, anchorNs), r.Stats with { Balancers = 1, Requested = 1 }) { PrevUs = Rel(r.BeginNs, anchorNs) });
        // from the end of a detach that cleared the program on, the device is stock again
        if (switches && h.DetachEndNs is { } end && h.DetachErrno == 0)
            samples.Add(new StatsSample(Rel(end, anchorNs) + 1, none) { PrevUs = Rel(h.DetachBeginNs!.Value, anchorNs) });
        return samples;
    }

    /// <summary>optin: the attach as "balance:1" and the detach as "balance:0", at the scenario's times;
    /// read back 1 once kmbsteer recorded the program set, 0 once its detach cleared it.</summary>
    public static IReadOnlyList<BalanceToggle> Toggles(SteerHistory h, SteerRun run, CheckScenario s, long anchorNs)
    {
        var events = s.Events.Where(e => e.Op == QueueOp.Balance).OrderBy(e => e.AtMs).ToList();
        var toggles = new List<BalanceToggle>();
        if (events.Count > 0 && h.AttachBeginNs is { } ab && h.AttachEndNs is { } ae)
            toggles.Add(new BalanceToggle(1, events[0].AtMs, true, run.StartExitCode ?? -1, 0, Rel(ab, anchorNs), Rel(ae, anchorNs), 1));
        if (events.Count > 1 && h.DetachBeginNs is { } db && h.DetachEndNs is { } de)
            toggles.Add(new BalanceToggle(0, events[1].AtMs, true, h.DetachErrno ?? -1, h.DetachErrno ?? 0, Rel(db, anchorNs), Rel(de, anchorNs),
                h.DetachErrno == 0 ? 0 : 1));
        return toggles;
    }

    /// <summary>The queue the program steers a flow's packets to while it is not in its table (case 5 of
    /// steer.bpf.c: its own hash scaled to the queue count, as tun's reciprocal_scale): udpflows' flows are
    /// 198.51.100.1:PORT -> 198.51.100.2:9.</summary>
    public static int UntrackedQueue(int port, int queues) =>
        (int)(((ulong)new SteerFlow(Source, Destination, ProtocolType.Udp, (ushort)port, 9).Hash * (uint)queues) >> 32);

    private static readonly IPAddress Source = IPAddress.Parse("198.51.100.1");
    private static readonly IPAddress Destination = IPAddress.Parse("198.51.100.2");

    /// <summary>As mqtap's rel_us: microseconds from the anchor, truncated toward zero.</summary>
    private static long Rel(long ns, long anchorNs) => (ns - anchorNs) / 1000;
}
