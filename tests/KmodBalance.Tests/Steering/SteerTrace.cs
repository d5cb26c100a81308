using System.Net;
using System.Net.Sockets;
using System.Text;
using CsCheck;
using KmodBalance.Harness.Steering;

namespace KmodBalance.Tests.Steering;

/// <summary>A step of a trace for the eBPF back end: a packet of one of the trace's flows, a remap, or a new queue count.</summary>
public abstract record SteerOp;

public sealed record SteerPacket(int Flow, uint Segments) : SteerOp;

public sealed record SteerRemap : SteerOp;

/// <summary>The queue count becomes <see cref="Queues"/>: the last queues detach, or new ones attach.</summary>
public sealed record SteerResize(uint Queues) : SteerOp;

/// <summary>
/// One attached program, from a fresh load: <see cref="Queues"/> queues at the start, a fixed threshold.
/// Prints as kmbsteer trace's input, so a shrunk failure replays by hand.
/// </summary>
public sealed record SteerTrace(uint Threshold, uint Queues, IReadOnlyList<SteerFlow> Flows, IReadOnlyList<SteerOp> Ops)
{
    public override string ToString()
    {
        var sb = new StringBuilder($"# kmbsteer trace {Queues}, threshold {Threshold}\n");
        foreach (var op in Ops)
        {
            sb.Append(op switch
            {
                SteerPacket p => $"p {Flows[p.Flow].TraceText} {p.Segments}",
                SteerResize r => $"n {r.Queues}",
                _ => $"r {Threshold}",
            }).Append('\n');
        }
        return sb.ToString();
    }
}

/// <summary>Traces over a handful of IPv4 and IPv6, TCP and UDP flows (documentation addresses only).</summary>
public static class SteerTraceGen
{
    private static readonly Gen<SteerFlow> Flow =
        Gen.Select(Gen.Bool, Gen.Bool, Gen.Int[1, 254], Gen.Int[1, 254], Gen.UShort[1024, 65535], Gen.UShort[1, 9000],
            (v6, tcp, a, b, sport, dport) => new SteerFlow(
                IPAddress.Parse(v6 ? $"2001:db8::{a:x}" : $"198.51.100.{a}"),
                IPAddress.Parse(v6 ? $"2001:db8:1::{b:x}" : $"192.0.2.{b}"),
                tcp ? ProtocolType.Tcp : ProtocolType.Udp, sport, dport));

    /// <summary>Up to 12 flows, a few hundred steps, remaps often enough that flows move and go idle.</summary>
    public static readonly Gen<SteerTrace> Traces =
        from threshold in Gen.OneOf(Gen.UInt[0, 4], Gen.UInt[5, 40])
        from queues in Gen.UInt[1, 8]
        from flows in Flow.Array[1, 12]
        from ops in Gen.Frequency(
                (30, Gen.Select(Gen.Int[0, flows.Length - 1], Gen.OneOf(Gen.Const(1u), Gen.UInt[1, 45]),
                    (f, segs) => (SteerOp)new SteerPacket(f, segs))),
                (4, Gen.Const((SteerOp)new SteerRemap())),
                (1, Gen.UInt[1, 8].Select(n => (SteerOp)new SteerResize(n))))
            .List[1, 300]
        select new SteerTrace(threshold, queues, flows, ops);
}
