using System.Globalization;
using System.Text;
using CsCheck;
using KmodBalance.Model.Balancing;

namespace KmodBalance.Tests.Differential;

/// <summary>One step of a trace: a packet steered with the queue count of the moment, a remap, a detach...</summary>
public abstract record TraceOp
{
    /// <summary>The line balance_driver.c reads for this step.</summary>
    public abstract string Command(uint threshold);

    /// <summary>Lines the driver prints for this step.</summary>
    public abstract int Lines { get; }
}

/// <summary>How the kernel path runs a packet: normally, with IRQs disabled (netpoll), or with GFP_ATOMIC failing.</summary>
public enum PacketMode { Normal, Netpoll, NoMemory }

public sealed record PacketOp(uint Hash, uint Segments, uint Queues, PacketMode Mode = PacketMode.Normal) : TraceOp
{
    public override string Command(uint threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"{Mode switch { PacketMode.Netpoll => 'n', PacketMode.NoMemory => 'm', _ => 'p' }} {Hash} {Segments} {Queues}");

    public override int Lines => 1;
}

/// <summary>Segments steered to a queue outside the mapper (XDP): <c>tun_balance_count()</c>.</summary>
public sealed record CountOp(ushort Queue, uint Segments) : TraceOp
{
    public override string Command(uint threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"c {Queue} {Segments}");

    public override int Lines => 0;
}

public sealed record RemapOp(uint Queues) : TraceOp
{
    public override string Command(uint threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"r {Queues} {threshold}");

    public override int Lines => 5;
}

/// <summary>
/// A remap during which a packet-path CPU holds its flow (found before the remap): it
/// adds <see cref="Segments"/> after the remap, so they belong to the new period if the
/// flow is still in the table, and are lost with the entry if the remap dropped it.
/// </summary>
public sealed record StraggleOp(uint Hash, uint Segments, uint Queues) : TraceOp
{
    public override string Command(uint threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"s {Hash} {Segments} {Queues} {threshold}");

    public override int Lines => 5;
}

/// <summary>Queue <see cref="Index"/> detached, <see cref="Last"/> moved into its place.</summary>
public sealed record DetachOp(ushort Index, ushort Last) : TraceOp
{
    public override string Command(uint threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"d {Index} {Last}");

    public override int Lines => 4;
}

/// <summary>The statistics snapshot for <see cref="Queues"/> queues.</summary>
public sealed record SnapshotOp(uint Queues) : TraceOp
{
    public override string Command(uint threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"k {Queues}");

    public override int Lines => 1;
}

/// <summary>
/// A trace for one fresh balancer, with a fixed threshold (the C# model takes it in its
/// constructor, the C per remap). Prints as the driver's input, so a shrunk failure can
/// be replayed by hand: <c>balance_driver &lt; trace.txt</c>. An <see cref="Adaptive"/>
/// trace runs on the adaptive driver against <see cref="AdaptiveBalancer"/>.
/// </summary>
public sealed partial record Trace(uint Threshold, IReadOnlyList<TraceOp> Ops)
{
    /// <summary>The trace is for the adaptive policy (AdaptiveTrace.cs), not dynamic.</summary>
    public bool Adaptive { get; init; }

    /// <summary>The driver's input for this trace, starting from a fresh balancer.</summary>
    public string Commands()
    {
        var sb = new StringBuilder("z\n");
        foreach (var op in Ops)
            sb.Append(op.Command(Threshold)).Append('\n');
        return sb.ToString();
    }

    public override string ToString() =>
        $"threshold {Threshold}, {Ops.Count} ops:\n{Commands()}";

    /// <summary>
    /// What the driver must print for this trace, computed by the C# reference model:
    /// the queue of every packet; after a remap what it returned and the state (flow
    /// table, last loads, flows per queue, admission filter and untracked load); the
    /// state after a detach; the snapshot's line.
    /// </summary>
    public IReadOnlyList<string> Expected()
    {
        if (Adaptive)
            return ExpectedAdaptive();
        var ci = CultureInfo.InvariantCulture;
        var model = new DynamicBalancer(Threshold);
        var lines = new List<string>();
        foreach (var op in Ops)
        {
            switch (op)
            {
                case PacketOp p:
                    var q = p.Mode switch
                    {
                        PacketMode.Netpoll => model.SelectWithoutLock(p.Hash, p.Segments, p.Queues),
                        PacketMode.NoMemory => model.SelectWithoutMemory(p.Hash, p.Segments, p.Queues),
                        _ => model.Select(p.Hash, p.Segments, p.Queues),
                    };
                    lines.Add(q.ToString(ci));
                    break;
                case CountOp c:
                    model.Count(c.Queue, c.Segments);
                    break;
                case RemapOp r:
                    lines.Add(model.Remap(r.Queues) ? "R 1" : "R 0");
                    lines.AddRange(StateLines(model));
                    break;
                case StraggleOp s:
                    // the straggler found its flow before the remap and adds after it
                    bool holds = model.TryGetFlow(s.Hash, out var held) && held.Queue < s.Queues;
                    lines.Add(model.Remap(s.Queues) ? "R 1" : "R 0");
                    if (holds && model.TryGetFlow(s.Hash, out _))
                        model.AddToFlow(s.Hash, s.Segments);
                    lines.AddRange(StateLines(model));
                    break;
                case DetachOp d:
                    model.Detach(d.Index, d.Last);
                    lines.AddRange(StateLines(model));
                    break;
                case SnapshotOp k:
                    var sb = new StringBuilder();
                    sb.Append(ci, $"K {model.FlowCount} {model.Migrations} {model.Periods}");
                    for (int i = 0; i < k.Queues; i++)
                        sb.Append(ci, $" {model.LastLoad(i)}/{model.FlowsOnQueue(i)}");
                    lines.Add(sb.ToString());
                    break;
            }
        }
        return lines;
    }

    private static IEnumerable<string> StateLines(DynamicBalancer model)
    {
        var ci = CultureInfo.InvariantCulture;
        var table = new StringBuilder();
        table.Append(ci, $"T {model.Migrations} {model.FlowCount} {model.Periods}");
        foreach (var (hash, queue) in model.FlowQueues.OrderBy(kv => kv.Key))
            table.Append(ci, $" {hash}:{queue}");
        yield return table.ToString();
        yield return Sparse("L", model.LastLoad);
        yield return Sparse("F", model.FlowsOnQueue);
        yield return Sparse(string.Create(ci, $"U {model.SeenCount}"), model.Untracked);
    }

    internal static string Sparse(string tag, Func<int, uint> value)
    {
        var sb = new StringBuilder(tag);
        for (int q = 0; q < DynamicBalancer.MaxQueues; q++)
        {
            if (value(q) != 0)
                sb.Append(CultureInfo.InvariantCulture, $" {q}:{value(q)}");
        }
        return sb.ToString();
    }
}

/// <summary>Generators of traces that reach every case of docs/BALANCER.md.</summary>
public static class TraceGen
{
    private enum Kind { Packet, Netpoll, NoMemory, Count, Remap, Straggle, Resize, Detach, Snapshot }

    private readonly record struct RawOp(Kind Kind, int Flow, uint Segments, uint Queues);

    /// <summary>Thresholds: 0, tiny (every gap migrates), moderate, and large.</summary>
    public static readonly Gen<uint> Threshold = Gen.Frequency(
        (3, Gen.Const(0u)), (3, Gen.UInt[1, 3]), (3, Gen.UInt[4, 60]), (1, Gen.UInt[61, 5000]));

    /// <summary>
    /// Flow hashes: anywhere, small (sharing one admission bit: hash &gt;&gt; 19 = 0), sharing
    /// one bucket (hash mod 1024 equal), and the extremes that the multiply-shift maps to
    /// queue 0 and queue n-1.
    /// </summary>
    public static readonly Gen<uint> Hash = Gen.Frequency(
        (4, Gen.UInt),
        (2, Gen.UInt[0, 63]),
        (2, Gen.UInt[0, 7].Select(k => 0x2A5u + (k << 10))),
        (1, Gen.OneOfConst(0u, uint.MaxValue)));

    /// <summary>
    /// Segments of a packet as the glue passes them (<c>tun_balance_segs()</c>: 1 for a skb that is not GSO, else
    /// gso_segs, a u16, or the length's estimate when a GSO skb has no count yet):
    /// mostly 1, sometimes a GSO skb, now and then the most a skb can carry.
    /// </summary>
    public static readonly Gen<uint> Segments = Gen.Frequency(
        (6, Gen.Const(1u)), (3, Gen.UInt[2, 64]), (1, Gen.Const(0xFFFFu)));

    /// <summary>Queue counts 1-16, and now and then 0 (every queue detached).</summary>
    public static readonly Gen<uint> Queues = Gen.Frequency((20, Gen.UInt[1, 16]), (1, Gen.Const(0u)));

    private static readonly Gen<RawOp> Op = Gen.Frequency(
        (80, Gen.Select(Gen.Int[0, 1000], Segments, (flow, segs) => new RawOp(Kind.Packet, flow, segs, 0))),
        (2, Gen.Select(Gen.Int[0, 1000], Segments, (flow, segs) => new RawOp(Kind.Netpoll, flow, segs, 0))),
        (2, Gen.Select(Gen.Int[0, 1000], Segments, (flow, segs) => new RawOp(Kind.NoMemory, flow, segs, 0))),
        (2, Gen.Select(Gen.Int[0, 15], Segments, (queue, segs) => new RawOp(Kind.Count, queue, segs, 0))),
        (8, Gen.Const(new RawOp(Kind.Remap, 0, 0, 0))),
        (2, Gen.Select(Gen.Int[0, 1000], Segments, (flow, segs) => new RawOp(Kind.Straggle, flow, segs, 0))),
        (4, Queues.Select(q => new RawOp(Kind.Resize, 0, 0, q))),
        (4, Gen.Int[0, 1000].Select(i => new RawOp(Kind.Detach, i, 0, 0))),
        (1, Gen.Const(new RawOp(Kind.Snapshot, 0, 0, 0))));

    /// <summary>Short traces over a few flows: every branch, ties, detaches and queue changes mid-trace.</summary>
    public static readonly Gen<Trace> Small =
        from threshold in Threshold
        from flows in Hash.Array[1, 40]
        from start in Gen.UInt[1, 16]
        from raw in Op.Array[1, 300]
        select Build(threshold, flows, start, raw);

    // declared before Many: static fields initialise in order
    private static readonly Gen<RawOp> ManyOp = Gen.Frequency(
        (995, Gen.Select(Gen.Frequency((2, Gen.Int[2, 1000]), (1, Gen.Int[0, 1])), Gen.Frequency((8, Gen.Const(1u)), (2, Gen.UInt[2, 45])),
            (flow, segs) => new RawOp(Kind.Packet, flow, segs, 0))),
        (3, Gen.Const(new RawOp(Kind.Remap, 0, 0, 0))),
        (1, Queues.Select(q => new RawOp(Kind.Resize, 0, 0, q))),
        (1, Gen.Int[0, 1000].Select(i => new RawOp(Kind.Detach, i, 0, 0))));

    /// <summary>
    /// Hundreds of flows live in one period, so that the remapper's merge sort orders long
    /// lists: few packets a flow, so many ties broken by hash, and two heavy flows with
    /// hundreds of packets a period.
    /// </summary>
    public static readonly Gen<Trace> Many =
        from threshold in Threshold
        from flows in Gen.Frequency((8, Gen.UInt), (1, Gen.UInt[0, 63]), (1, Gen.UInt[0, 7].Select(k => 0x2A5u + (k << 10)))).Array[100, 400]
        from start in Gen.UInt[1, 16]
        from raw in ManyOp.Array[300, 3000]
        select Build(threshold, flows, start, raw, finalRemap: true);

    private static Trace Build(uint threshold, uint[] flows, uint queues, RawOp[] raw, bool finalRemap = false)
    {
        var ops = new List<TraceOp>(raw.Length + 1);
        foreach (var op in raw)
        {
            uint hash = flows[op.Flow % flows.Length];
            switch (op.Kind)
            {
                case Kind.Packet:
                    ops.Add(new PacketOp(hash, op.Segments, queues));
                    break;
                case Kind.Netpoll:
                    ops.Add(new PacketOp(hash, op.Segments, queues, PacketMode.Netpoll));
                    break;
                case Kind.NoMemory:
                    ops.Add(new PacketOp(hash, op.Segments, queues, PacketMode.NoMemory));
                    break;
                case Kind.Count:
                    ops.Add(new CountOp((ushort)op.Flow, op.Segments));
                    break;
                case Kind.Remap:
                    ops.Add(new RemapOp(queues));
                    break;
                case Kind.Straggle:
                    ops.Add(new StraggleOp(hash, op.Segments, queues));
                    break;
                case Kind.Snapshot:
                    ops.Add(new SnapshotOp(queues));
                    break;
                case Kind.Resize:
                    queues = op.Queues;
                    break;
                case Kind.Detach when queues > 0:
                    // as tun: numqueues drops first, then the last queue fills the gap
                    ops.Add(new DetachOp((ushort)(op.Flow % queues), (ushort)(queues - 1)));
                    queues--;
                    break;
            }
        }
        if (finalRemap)
            ops.Add(new RemapOp(queues));
        return new Trace(threshold, ops);
    }

    /// <summary>
    /// More distinct flows than the table holds (4096): every flow sends twice in a period,
    /// so the table fills, later flows are steered by hash untracked, remaps free room again.
    /// </summary>
    public static readonly Gen<Trace> Crowded =
        from threshold in Threshold
        from flowCount in Gen.Int[4097, 6000]
        from seed in Gen.UInt
        from queues in Gen.UInt[1, 16]
        from shrunk in Gen.UInt[1, 16]
        select BuildCrowded(threshold, flowCount, seed, queues, shrunk);

    private static Trace BuildCrowded(uint threshold, int flowCount, uint seed, uint queues, uint shrunk)
    {
        var rng = new Random((int)seed);
        var flows = Enumerable.Range(0, flowCount).Select(_ => (uint)rng.NextInt64(0, 1L << 32)).ToArray();
        var ops = new List<TraceOp>();
        // period 1: every flow twice (the last ones do not fit); period 2: a skewed
        // half of them with the queue count changed; period 3: a mix again
        foreach (var h in flows)
            ops.Add(new PacketOp(h, (uint)rng.Next(1, 45), queues));
        foreach (var h in flows)
            ops.Add(new PacketOp(h, (uint)rng.Next(1, 45), queues));
        ops.Add(new RemapOp(queues));
        for (int i = 0; i < flowCount / 2; i++)
        {
            var h = flows[rng.Next(0, flowCount / 8 + 1) * (rng.Next(2) + 1)];
            ops.Add(new PacketOp(h, 2, shrunk));
        }
        ops.Add(new RemapOp(shrunk));
        for (int i = 0; i < flowCount; i++)
            ops.Add(new PacketOp(flows[rng.Next(flowCount)], 1, queues));
        ops.Add(new RemapOp(queues));
        return new Trace(threshold, ops);
    }

    /// <summary>
    /// A flood of one-packet flows (random hashes) while a few real flows send several
    /// packets a period: the real ones must get in and the flood's segments count as load.
    /// </summary>
    public static readonly Gen<Trace> Flood =
        from threshold in Threshold
        from real in Gen.UInt.Array[2, 8]
        from seed in Gen.UInt
        from queues in Gen.UInt[2, 8]
        select BuildFlood(threshold, real, seed, queues);

    private static Trace BuildFlood(uint threshold, uint[] real, uint seed, uint queues)
    {
        var rng = new Random((int)seed);
        var ops = new List<TraceOp>();
        for (int period = 0; period < 4; period++)
        {
            for (int i = 0; i < 6000; i++)
            {
                ops.Add(new PacketOp((uint)rng.NextInt64(0, 1L << 32), 1, queues));
                if (i % 500 == 0)
                    ops.AddRange(real.Select(h => new PacketOp(h, (uint)rng.Next(1, 45), queues)));
            }
            ops.Add(new RemapOp(queues));
        }
        return new Trace(threshold, ops);
    }
}
