using CsCheck;
using KmodBalance.Generator.UserSpace;
using Xunit;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Differential;

/// <summary>
/// The generated kernel C of the adaptive balancer (adaptive_core.c.sbn, built in user space with
/// AddressSanitizer and UBSan; the driver plays tun's rings and flow table) against the C#
/// reference model (AdaptiveBalancer): the same queue for every packet (netpoll and failed
/// allocations included), the same flow table with each flow's current and destination queue,
/// migrations, periods, last loads, flows per queue, admission filter and untracked load after
/// every remap and detach, the same statistics snapshot, over dynamic's trace families with guest
/// replies, ring dequeues and clock steps woven in.
/// </summary>
[Trait("Category", "Differential")]
public sealed class AdaptiveDifferentialTests(ITestOutputHelper output)
{
    private static Task<UserSpaceBinary> Driver() => UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized, Policy.Adaptive);

    [Fact]
    public async Task Core_decides_as_the_model_on_random_traces()
    {
        using var pool = new DriverPool(await Driver());
        AdaptiveTraceGen.Small.Sample(trace => DifferentialTests.Check(pool, trace), iter: 2000, writeLine: output.WriteLine);
    }

    [Fact]
    public async Task Core_decides_as_the_model_with_hundreds_of_flows_a_period()
    {
        using var pool = new DriverPool(await Driver());
        AdaptiveTraceGen.Many.Sample(trace => DifferentialTests.Check(pool, trace), iter: 300, writeLine: output.WriteLine,
            print: t => $"threshold {t.Threshold}, {t.Ops.Count} ops (too long to print)");
    }

    [Fact]
    public async Task Core_decides_as_the_model_when_the_flow_table_is_full()
    {
        using var pool = new DriverPool(await Driver());
        AdaptiveTraceGen.Crowded.Sample(trace => DifferentialTests.Check(pool, trace), iter: 24, writeLine: output.WriteLine,
            print: t => $"threshold {t.Threshold}, {t.Ops.Count} ops (too long to print)");
    }

    [Fact]
    public async Task Core_decides_as_the_model_under_a_flood_of_one_packet_flows()
    {
        using var pool = new DriverPool(await Driver());
        AdaptiveTraceGen.Flood.Sample(trace => DifferentialTests.Check(pool, trace), iter: 10, writeLine: output.WriteLine,
            print: t => $"threshold {t.Threshold}, {t.Ops.Count} ops (too long to print)");
    }

    /// <summary>
    /// The whole life of a move off a full ring, in C: two equal flows share the only queue, whose
    /// ring is full (the driver's 8 slots), a second queue attaches, the remapper moves one of them
    /// (the lower hash among equals). Its first packet finds the old ring full and pauses it: that
    /// packet and the next are dropped at the ring (" d") while the other flow's still enter it;
    /// once the ring has let go of the newest packet it held at the pause, the flow switches and
    /// stays. Marking alone would wait for the flow to stop feeding the ring, which a saturating
    /// sender never does (the nested UDP compare's flows never left their hash queue).
    /// </summary>
    [Fact]
    public async Task A_flow_feeding_a_full_ring_pauses_there_and_moves_once_the_ring_passed_its_packets()
    {
        using var pool = new DriverPool(await Driver());
        const uint a = 0x10000000, b = 0x30000000;          // admission bits differ
        var ops = new List<TraceOp>();
        for (int i = 0; i < 202; i++)
            ops.AddRange([new PacketOp(a, 1, 1), new PacketOp(b, 1, 1)]);
        ops.Add(new RemapOp(2));                             // 404 on queue 0, 0 on the new queue 1
        ops.Add(new PacketOp(a, 1, 2));                      // ring full: pauses, dropped; tail = newest
        ops.Add(new DequeueOp(0, 1));
        ops.Add(new PacketOp(b, 1, 2));                      // b does not move: enters, behind the tail
        ops.Add(new PacketOp(a, 1, 2));                      // tail still queued: dropped
        ops.Add(new DequeueOp(0, 7));                        // the tail has left, b's packet has not
        ops.Add(new PacketOp(a, 1, 2));                      // past its packets: switches
        ops.Add(new PacketOp(a, 1, 2));
        ops.Add(new PacketOp(b, 1, 2));
        ops.Add(new SnapshotOp(2));                          // one pause, two packets dropped by it
        var trace = new Trace(4, ops) { Adaptive = true };

        var lines = pool.Run(trace);
        DifferentialTests.AssertSame(trace, lines);
        Assert.Equal("T 1 2 1 268435456:0/1 805306368:0/0", lines[404 + 1]);
        Assert.Equal(["0 d", "0", "0 d", "1", "1", "0", "K 2 1 1 1 2 203/1 201/1"], lines.Skip(404 + 5));
    }

    [Fact]
    public async Task Driver_reports_a_mismatch_rather_than_passing_silently()
    {
        // the comparison itself must be able to fail: a model with another threshold differs.
        // Two flows share the only queue, a second attaches: at threshold 0 one moves, at 1000 none.
        using var pool = new DriverPool(await Driver());
        var ops = new List<TraceOp> { new PacketOp(1, 1, 1), new PacketOp(1, 1, 1), new PacketOp(0x30000000, 1, 1), new PacketOp(0x30000000, 1, 1) };
        for (int i = 0; i < 100; i++)
            ops.AddRange([new PacketOp(1, 1, 2), new PacketOp(0x30000000, 1, 2)]);
        ops.Add(new RemapOp(2));
        var trace = new Trace(0, ops) { Adaptive = true };
        DifferentialTests.AssertSame(trace, pool.Run(trace));
        var other = trace with { Threshold = 1000 };
        Assert.NotEqual(other.Expected(), pool.Run(other with { Threshold = 0 }));
    }
}
