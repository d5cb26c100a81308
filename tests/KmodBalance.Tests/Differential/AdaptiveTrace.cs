using System.Globalization;
using System.Text;
using CsCheck;
using KmodBalance.Model.Balancing;

namespace KmodBalance.Tests.Differential;

/// <summary>Adaptive: the guest took <see cref="Packets"/> packets off <see cref="Queue"/>'s ring.</summary>
public sealed record DequeueOp(ushort Queue, uint Packets) : TraceOp
{
    public override string Command(uint threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"x {Queue} {Packets}");

    public override int Lines => 0;
}

/// <summary>Adaptive: <see cref="Queue"/>'s qdisc holds packets or runs (<see cref="Pending"/>), or is idle.</summary>
public sealed record QdiscOp(ushort Queue, bool Pending) : TraceOp
{
    public override string Command(uint threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"w {Queue} {(Pending ? 1 : 0)}");

    public override int Lines => 0;
}

/// <summary>Adaptive: the guest sent flow <see cref="Hash"/> on <see cref="Queue"/> (automq learns it).</summary>
public sealed record GuestSentOp(uint Hash, ushort Queue) : TraceOp
{
    public override string Command(uint threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"g {Hash} {Queue}");

    public override int Lines => 0;
}

/// <summary>Time: jiffies (the driver's HZ is 1000, so the model's microseconds are jiffies * 1000).</summary>
public sealed record JiffiesOp(ulong Jiffies) : TraceOp
{
    public override string Command(uint threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"j {Jiffies}");

    public override int Lines => 0;

    public ulong Micros => Jiffies * 1000;
}

public sealed partial record Trace
{
    /// <summary>What the adaptive driver must print, computed by <see cref="AdaptiveBalancer"/>.</summary>
    private IReadOnlyList<string> ExpectedAdaptive()
    {
        var ci = CultureInfo.InvariantCulture;
        var model = new AdaptiveBalancer(Threshold, ringSlots: AdaptiveRings.Slots);
        var lines = new List<string>();
        ulong now = 0;
        foreach (var op in Ops)
        {
            switch (op)
            {
                case PacketOp p:
                    var q = AdaptiveRings.Steer(model, p, now).ToString(ci);
                    lines.Add(model.LastDropped ? q + " d" : q);
                    break;
                case CountOp c:
                    AdaptiveRings.Count(model, c);
                    break;
                case DequeueOp x:
                    model.Dequeued(x.Queue, x.Packets);
                    break;
                case QdiscOp w:
                    model.QdiscPending(w.Queue, w.Pending);
                    break;
                case GuestSentOp g:
                    model.GuestSent(g.Hash, g.Queue, now);
                    break;
                case JiffiesOp j:
                    now = j.Micros;
                    break;
                case RemapOp r:
                    lines.Add(model.Remap(r.Queues) ? "R 1" : "R 0");
                    lines.AddRange(AdaptiveStateLines(model));
                    break;
                case DetachOp d:
                    model.Detach(d.Index, d.Last);
                    lines.AddRange(AdaptiveStateLines(model));
                    break;
                case SnapshotOp k:
                    var sb = new StringBuilder();
                    sb.Append(ci, $"K {model.FlowCount} {model.Migrations} {model.Periods} {model.Pauses} {model.PauseDrops}");
                    for (int i = 0; i < k.Queues; i++)
                        sb.Append(ci, $" {model.LastLoad(i)}/{model.FlowsOnQueue(i)}");
                    lines.Add(sb.ToString());
                    break;
                default:
                    throw new ArgumentException($"{op.GetType().Name} is not an adaptive trace step", nameof(op));
            }
        }
        return lines;
    }

    private static IEnumerable<string> AdaptiveStateLines(AdaptiveBalancer model)
    {
        var ci = CultureInfo.InvariantCulture;
        var table = new StringBuilder();
        table.Append(ci, $"T {model.Migrations} {model.FlowCount} {model.Periods}");
        foreach (var (hash, queue, next) in model.Flows)
            table.Append(ci, $" {hash}:{queue}/{next}");
        yield return table.ToString();
        yield return Sparse("L", model.LastLoad);
        yield return Sparse("F", model.FlowsOnQueue);
        yield return Sparse(string.Create(ci, $"U {model.SeenCount}"), model.Untracked);
    }
}

/// <summary>
/// Adaptive traces: dynamic's families (<see cref="TraceGen"/>) with what adaptive also reads woven
/// in: the guest replying on some queue (automq learning, including queues beyond the current
/// count), the guest taking packets off the rings (a part of a ring or all of it, so moves wait
/// and complete), and time passing (learned queues age out after 3 s). Stragglers are dynamic's
/// reset race and are left out.
/// </summary>
public static class AdaptiveTraceGen
{
    public static readonly Gen<Trace> Small = Adapt(TraceGen.Small);
    public static readonly Gen<Trace> Many = Adapt(TraceGen.Many);
    public static readonly Gen<Trace> Crowded = Adapt(TraceGen.Crowded);
    public static readonly Gen<Trace> Flood = Adapt(TraceGen.Flood);

    private static Gen<Trace> Adapt(Gen<Trace> family) =>
        from trace in family
        from seed in Gen.Int
        from drain in Gen.Int[1, 6]
        select Weave(trace, seed, drain);

    /// <summary>
    /// Walks the trace with a model (to know what each ring holds) and inserts, after packets,
    /// guest replies, dequeues and clock steps; one in <paramref name="drain"/> packets is followed
    /// by a dequeue, so that some traces keep rings busy and others empty them often.
    /// </summary>
    private static Trace Weave(Trace trace, int seed, int drain)
    {
        var rng = new Random(seed);
        var ops = new List<TraceOp>(trace.Ops.Count * 2);
        ulong jiffies = 0;
        foreach (var op in trace.Ops)
        {
            if (op is StraggleOp)
                continue;
            ops.Add(op);
            if (op is not PacketOp p)
                continue;
            // the guest may answer on a queue beyond the current count: the balancer must ignore it
            if (rng.Next(8) == 0)
                ops.Add(new GuestSentOp(p.Hash, (ushort)rng.Next(0, (int)Math.Min(p.Queues + 2, 16))));
            // any ring, not only the packet's: the queue it went to is the model's to know
            if (rng.Next(drain) == 0)
            {
                var q = (ushort)rng.Next(0, 16);
                ops.Add(new DequeueOp(q, (uint)rng.Next(0, 4) == 0 ? uint.MaxValue : (uint)rng.Next(1, 4)));
            }
            // a qdisc that holds packets now and then: moves must wait, and tails become unsure
            if (rng.Next(12) == 0)
                ops.Add(new QdiscOp((ushort)rng.Next(0, 16), rng.Next(2) == 0));
            if (rng.Next(200) == 0)
            {
                jiffies += (ulong)rng.Next(0, 4000);
                ops.Add(new JiffiesOp(jiffies));
            }
        }
        return new Trace(trace.Threshold, Fix(ops, trace.Threshold)) { Adaptive = true };
    }

    /// <summary>
    /// Turns each dequeue into what the ring can give: a model replays the trace, and a dequeue of
    /// <see cref="uint.MaxValue"/> takes the whole ring, any other at most what the ring holds.
    /// </summary>
    private static List<TraceOp> Fix(List<TraceOp> ops, uint threshold)
    {
        var model = new AdaptiveBalancer(threshold, ringSlots: AdaptiveRings.Slots);
        ulong now = 0;
        var fixedOps = new List<TraceOp>(ops.Count);
        foreach (var op in ops)
        {
            switch (op)
            {
                case PacketOp p:
                    AdaptiveRings.Steer(model, p, now);
                    break;
                case CountOp c:
                    AdaptiveRings.Count(model, c);
                    break;
                case DequeueOp x:
                    var k = Math.Min(x.Packets, model.Queued(x.Queue));
                    if (k == 0)
                        continue;
                    model.Dequeued(x.Queue, k);
                    fixedOps.Add(x with { Packets = k });
                    continue;
                case GuestSentOp g:
                    model.GuestSent(g.Hash, g.Queue, now);
                    break;
                case QdiscOp w:
                    model.QdiscPending(w.Queue, w.Pending);
                    break;
                case JiffiesOp j:
                    now = j.Micros;
                    break;
                case RemapOp r:
                    model.Remap(r.Queues);
                    break;
                case DetachOp d:
                    model.Detach(d.Index, d.Last);
                    break;
            }
            fixedOps.Add(op);
        }
        return fixedOps;
    }
}

/// <summary>
/// The driver's rings as the model sees them: a packet (or XDP frame) that finds its ring holding
/// <see cref="Slots"/> packets is dropped there (balance_driver.c's <c>RING_SLOTS</c>, as tun drops
/// at a full ptr_ring), so traces drop moving flows' marks.
/// </summary>
public static class AdaptiveRings
{
    public const uint Slots = 8;

    public static ushort Steer(AdaptiveBalancer model, PacketOp p, ulong now)
    {
        var q = p.Mode switch
        {
            PacketMode.Netpoll => model.SelectWithoutLock(p.Hash, p.Segments, p.Queues),
            PacketMode.NoMemory => model.SelectWithoutMemory(p.Hash, p.Segments, p.Queues, now),
            _ => model.Select(p.Hash, p.Segments, p.Queues, now),
        };
        // a paused flow's packet never entered the ring; others fill it and the full ring drops them
        if (p.Queues > 0 && model.Queued(q) > Slots)
            model.Dropped(q, 1);
        return q;
    }

    public static void Count(AdaptiveBalancer model, CountOp c)
    {
        model.Count(c.Queue, c.Segments);
        if (model.Queued(c.Queue) > Slots)
            model.Dropped(c.Queue, model.Queued(c.Queue) - Slots);
    }
}
