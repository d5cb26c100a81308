using System.Globalization;
using System.Text;
using CsCheck;
using KmodBalance.Model.Balancing;

namespace KmodBalance.Tests.Differential;

/// <summary>One step of a trace: a packet steered with the queue count of the moment, or a remap.</summary>
public abstract record TraceOp
{
    /// <summary>The line balance_driver.c reads for this step.</summary>
    public abstract string Command(uint threshold);
}

public sealed record PacketOp(uint Hash, uint Length, uint Queues) : TraceOp
{
    public override string Command(uint threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"p {Hash} {Length} {Queues}");
}

public sealed record RemapOp(uint Queues) : TraceOp
{
    public override string Command(uint threshold) =>
        string.Create(CultureInfo.InvariantCulture, $"r {Queues} {threshold}");
}

/// <summary>
/// A trace for one fresh balancer, with a fixed threshold (the C# model takes it in its
/// constructor, the C per remap). Prints as the driver's input, so a shrunk failure can
/// be replayed by hand: <c>balance_driver &lt; trace.txt</c>.
/// </summary>
public sealed record Trace(uint Threshold, IReadOnlyList<TraceOp> Ops)
{
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
    /// one line per packet (the queue), three per remap (table, last loads, flows per queue).
    /// </summary>
    public IReadOnlyList<string> Expected()
    {
        var model = new DynamicBalancer(Threshold);
        var lines = new List<string>();
        foreach (var op in Ops)
        {
            switch (op)
            {
                case PacketOp p:
                    lines.Add(model.Select(p.Hash, p.Length, p.Queues).ToString(CultureInfo.InvariantCulture));
                    break;
                case RemapOp r:
                    model.Remap(r.Queues);
                    lines.AddRange(TableLines(model, r.Queues));
                    break;
            }
        }
        return lines;
    }

    private static IEnumerable<string> TableLines(DynamicBalancer model, uint queues)
    {
        var ci = CultureInfo.InvariantCulture;
        var table = new StringBuilder();
        table.Append(ci, $"R {model.Migrations} {model.FlowCount}");
        foreach (var (hash, queue) in model.FlowQueues.OrderBy(kv => kv.Key))
            table.Append(ci, $" {hash}:{queue}");
        yield return table.ToString();

        var loads = new StringBuilder("L");
        for (int q = 0; q < queues; q++)
            loads.Append(ci, $" {model.LastLoad(q)}");
        yield return loads.ToString();

        var flows = new StringBuilder("F");
        for (int q = 0; q < DynamicBalancer.MaxQueues; q++)
        {
            if (model.FlowsOnQueue(q) != 0)
                flows.Append(ci, $" {q}:{model.FlowsOnQueue(q)}");
        }
        yield return flows.ToString();
    }
}

/// <summary>Generators of traces that reach every case of docs/BALANCER.md.</summary>
public static class TraceGen
{
    private enum Kind { Packet, Remap, Resize }

    private readonly record struct RawOp(Kind Kind, int Flow, uint Length, uint Queues);

    /// <summary>Thresholds: 0, tiny (every gap migrates), moderate, and large.</summary>
    public static readonly Gen<uint> Threshold = Gen.Frequency(
        (3, Gen.Const(0u)), (3, Gen.UInt[1, 3]), (3, Gen.UInt[4, 60]), (1, Gen.UInt[61, 5000]));

    /// <summary>
    /// Flow hashes: anywhere, small, sharing one bucket (hash mod 1024 equal), and the
    /// extremes that the multiply-shift maps to queue 0 and queue n-1.
    /// </summary>
    public static readonly Gen<uint> Hash = Gen.Frequency(
        (4, Gen.UInt),
        (2, Gen.UInt[0, 63]),
        (2, Gen.UInt[0, 7].Select(k => 0x2A5u + (k << 10))),
        (1, Gen.OneOfConst(0u, uint.MaxValue)));

    /// <summary>Queue counts 1-16, and now and then 0 (every queue detached).</summary>
    public static readonly Gen<uint> Queues = Gen.Frequency((20, Gen.UInt[1, 16]), (1, Gen.Const(0u)));

    private static readonly Gen<RawOp> Op = Gen.Frequency(
        (85, Gen.Select(Gen.Int[0, 1000], Gen.Frequency((3, Gen.UInt[0, 1500]), (1, Gen.UInt[0, 65535])),
            (flow, length) => new RawOp(Kind.Packet, flow, length, 0))),
        (8, Gen.Const(new RawOp(Kind.Remap, 0, 0, 0))),
        (7, Queues.Select(q => new RawOp(Kind.Resize, 0, 0, q))));

    /// <summary>Short traces over a few flows: every branch, ties and queue changes mid-trace.</summary>
    public static readonly Gen<Trace> Small =
        from threshold in Threshold
        from flows in Hash.Array[1, 40]
        from start in Gen.UInt[1, 16]
        from raw in Op.Array[1, 300]
        select Build(threshold, flows, start, raw);

    // declared before Many: static fields initialise in order
    private static readonly Gen<RawOp> ManyOp = Gen.Frequency(
        (995, Gen.Select(Gen.Frequency((2, Gen.Int[2, 1000]), (1, Gen.Int[0, 1])), Gen.UInt[0, 1500],
            (flow, length) => new RawOp(Kind.Packet, flow, length, 0))),
        (3, Gen.Const(new RawOp(Kind.Remap, 0, 0, 0))),
        (2, Queues.Select(q => new RawOp(Kind.Resize, 0, 0, q))));

    /// <summary>
    /// Hundreds of flows live in one period, so that the remapper orders them by its
    /// radix sort (the C takes sort() below 100 flows): few packets a flow, so many ties
    /// broken by hash, and two heavy flows with hundreds of packets a period, so that
    /// more than one byte of the packet counts differs.
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
            switch (op.Kind)
            {
                case Kind.Packet:
                    ops.Add(new PacketOp(flows[op.Flow % flows.Length], op.Length, queues));
                    break;
                case Kind.Remap:
                    ops.Add(new RemapOp(queues));
                    break;
                case Kind.Resize:
                    queues = op.Queues;
                    break;
            }
        }
        if (finalRemap)
            ops.Add(new RemapOp(queues));
        return new Trace(threshold, ops);
    }

    /// <summary>
    /// More distinct flows than the table holds (4096): the table fills, new flows are
    /// steered by hash untracked, remaps free room again.
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
        // period 1: every flow once (the last ones do not fit); period 2: a skewed
        // half of them with the queue count changed; period 3: a mix again
        foreach (var h in flows)
            ops.Add(new PacketOp(h, (uint)rng.Next(0, 1500), queues));
        ops.Add(new RemapOp(queues));
        for (int i = 0; i < flowCount / 2; i++)
        {
            var h = flows[rng.Next(0, flowCount / 8 + 1) * (rng.Next(2) + 1)];
            ops.Add(new PacketOp(h, 100, shrunk));
        }
        ops.Add(new RemapOp(shrunk));
        for (int i = 0; i < flowCount; i++)
            ops.Add(new PacketOp(flows[rng.Next(flowCount)], 1, queues));
        ops.Add(new RemapOp(queues));
        return new Trace(threshold, ops);
    }
}
