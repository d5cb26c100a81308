using CsCheck;
using KmodBalance.Generator.UserSpace;
using Xunit;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Differential;

/// <summary>
/// The generated kernel C of the balancer (balancer_core.c.sbn, built in user space with
/// AddressSanitizer and UBSan) against the C# reference model (DynamicBalancer): the same
/// queue for every packet (netpoll and failed allocations included), the same flow table,
/// migrations, periods, last loads, flows per queue, admission filter and untracked load
/// after every remap and detach, the same statistics snapshot. CsCheck shrinks a failing
/// trace to a minimal one and prints it in the driver's input syntax.
/// </summary>
[Trait("Category", "Differential")]
public sealed class DifferentialTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Core_decides_as_the_model_on_random_traces()
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        TraceGen.Small.Sample(trace => Check(pool, trace), iter: 2000, writeLine: output.WriteLine);
    }

    [Fact]
    public async Task Core_decides_as_the_model_with_hundreds_of_flows_a_period()
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        TraceGen.Many.Sample(trace => Check(pool, trace), iter: 300, writeLine: output.WriteLine,
            print: t => $"threshold {t.Threshold}, {t.Ops.Count} ops (too long to print)");
    }

    /// <summary>
    /// Also the regression test of the hang in the full suite: each of these batches is
    /// more than a pipe holds (64 KiB) in each direction, commands in and answers out.
    /// </summary>
    [Fact]
    public async Task Core_decides_as_the_model_when_the_flow_table_is_full()
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        TraceGen.Crowded.Sample(trace => Check(pool, trace), iter: 24, writeLine: output.WriteLine,
            print: t => $"threshold {t.Threshold}, {t.Ops.Count} ops (too long to print)");
    }

    [Fact]
    public async Task Core_decides_as_the_model_under_a_flood_of_one_packet_flows()
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        TraceGen.Flood.Sample(trace => Check(pool, trace), iter: 10, writeLine: output.WriteLine,
            print: t => $"threshold {t.Threshold}, {t.Ops.Count} ops (too long to print)");
    }

    [Fact]
    public async Task Driver_reports_a_mismatch_rather_than_passing_silently()
    {
        // the comparison itself must be able to fail: a model with another threshold differs
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        var trace = new Trace(0, [
            new PacketOp(1, 1, 2), new PacketOp(1, 8, 2), new PacketOp(1, 1, 2),
            new PacketOp(0x80000000, 1, 2), new PacketOp(0x80000000, 1, 2), new PacketOp(0xC0000000, 1, 2),
            new PacketOp(0xC0000000, 1, 2), new RemapOp(2),
        ]);
        // q0: flow 1's first packet and 9 more segments, flow 0xC0000000 (admitted there) 1;
        // q1: 3. The gap of 8 moves 0xC0000000 at threshold 0, nothing at 100.
        var actual = pool.Run(trace);
        AssertSame(trace, actual);
        var other = trace with { Threshold = 100 };
        Assert.NotEqual(other.Expected(), pool.Run(other with { Threshold = 0 }));
    }

    /// <summary>
    /// The reset race (a packet-path CPU finds its flow, the remapper starts a new period,
    /// the CPU then counts its segment) must not carry the finished period's count into
    /// the next one. With a plain counter that the packet path reads, adds to and writes
    /// back, and that the remapper zeroes, the write-back restored the whole finished
    /// period (here 1,000 segments) and the next period read 1,004; a straggler held up
    /// for a whole period did the same to the two-slot design. With the remapper's
    /// atomic_xchg the straggling segment belongs to the new period: 3 + 1.
    /// </summary>
    [Fact]
    public async Task A_straggling_increment_does_not_carry_a_period_into_the_next()
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        const uint flow = 7;                                  // queue 0 of 2 by hash
        var ops = new List<TraceOp> { new PacketOp(flow, 1, 2), new PacketOp(flow, 1, 2) };
        ops.AddRange(Enumerable.Repeat(new PacketOp(flow, 1, 2), 998));
        ops.Add(new StraggleOp(flow, 1, 2));                  // the period of 1,000 ends
        ops.AddRange(Enumerable.Repeat(new PacketOp(flow, 1, 2), 3));
        ops.Add(new RemapOp(2));
        var trace = new Trace(64, ops);

        var lines = pool.Run(trace);
        AssertSame(trace, lines);
        var loads = lines.Where(l => l.StartsWith('L')).ToList();
        Assert.Equal(["L 0:1000", "L 0:4"], loads);
    }

    [Fact]
    public async Task A_new_flow_is_admitted_on_its_second_packet_in_a_period()
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        // 0xC0000000 hashes to queue 3 of 4; admitted, it goes to the least loaded queue 0
        var trace = new Trace(64, [
            new PacketOp(0xC0000000, 5, 4), new RemapOp(4),     // one packet: untracked, forgotten
            new PacketOp(0xC0000000, 5, 4), new PacketOp(0xC0000000, 2, 4), new SnapshotOp(4), new RemapOp(4),
        ]);
        var lines = pool.Run(trace);
        AssertSame(trace, lines);
        Assert.Equal(["3", "R 0", "T 0 0 1", "L 3:5", "F", "U 0", "3", "0", "K 1 0 1 0/1 0/0 0/0 5/0", "R 1", "T 0 1 2 3221225472:0", "L 0:2 3:5", "F 0:1", "U 0"], lines);
    }

    [Fact]
    public async Task A_detach_unplaces_the_flows_of_both_queues_and_their_next_packet_places_them()
    {
        var binary = await UserSpaceBuild.GetAsync(UserSpaceFlavor.Sanitized);
        using var pool = new DriverPool(binary);
        var ops = new List<TraceOp>();
        foreach (uint h in new uint[] { 0x10000000, 0x50000000, 0x90000000, 0xD0000000 })
            ops.AddRange([new PacketOp(h, 1, 4), new PacketOp(h, 1, 4)]);
        ops.Add(new RemapOp(4));
        ops.Add(new DetachOp(1, 3));                          // tun: queue 3 now sits at index 1
        ops.Add(new PacketOp(0x50000000, 1, 3));
        ops.Add(new PacketOp(0xD0000000, 1, 3));
        ops.Add(new RemapOp(3));
        var trace = new Trace(64, ops);
        var lines = pool.Run(trace);
        AssertSame(trace, lines);
        Assert.Contains("T 0 4 1 268435456:0 1342177280:65535 2415919104:2 3489660928:65535", lines);
    }

    /// <summary>
    /// Fails with the first step where C and C# part, and with the smallest trace that
    /// still fails after removing steps one chunk at a time (CsCheck's shrinking picks a
    /// simpler trace among the samples; this takes it down to the steps that matter).
    /// </summary>
    internal static void Check(DriverPool pool, Trace trace)
    {
        var failure = Failure(pool, trace);
        if (failure is null)
            return;
        var minimal = Minimize(pool, trace, TimeSpan.FromSeconds(20));
        throw new Xunit.Sdk.XunitException(
            $"{Failure(pool, minimal) ?? failure}\nminimal trace ({minimal.Ops.Count} of {trace.Ops.Count} steps, threshold {minimal.Threshold}; " +
            $"replay: balance_driver < trace):\n{minimal.Commands()}");
    }

    private static string? Failure(DriverPool pool, Trace trace)
    {
        try
        {
            AssertSame(trace, pool.Run(trace));
            return null;
        }
        catch (Xunit.Sdk.XunitException e)
        {
            return e.Message;
        }
        catch (UserSpaceCrashException e)
        {
            return e.Message;
        }
    }

    /// <summary>Delta debugging over the steps, within a time budget.</summary>
    private static Trace Minimize(DriverPool pool, Trace trace, TimeSpan budget)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var ops = trace.Ops.ToList();
        for (int chunk = Math.Max(1, ops.Count / 2); chunk >= 1 && clock.Elapsed < budget; chunk /= 2)
        {
            bool removed;
            do
            {
                removed = false;
                for (int i = 0; i < ops.Count && clock.Elapsed < budget;)
                {
                    var candidate = ops.Take(i).Concat(ops.Skip(i + chunk)).ToList();
                    if (candidate.Count > 0 && Failure(pool, trace with { Ops = candidate }) is not null)
                    {
                        ops = candidate;
                        removed = true;
                    }
                    else
                    {
                        i += chunk;
                    }
                }
            }
            while (removed && chunk == 1);
        }
        var simpler = ops.Select(op => op is PacketOp p ? p with { Segments = 1 } : op).ToList();
        if (Failure(pool, trace with { Ops = simpler }) is not null)
            ops = simpler;
        return trace with { Ops = ops };
    }

    /// <summary>Compares line by line and names the first step where C and C# part.</summary>
    internal static void AssertSame(Trace trace, IReadOnlyList<string> actual)
    {
        var expected = trace.Expected();
        int line = 0;
        for (int i = 0; i < trace.Ops.Count; i++)
        {
            var op = trace.Ops[i];
            for (int k = 0; k < op.Lines; k++, line++)
            {
                var c = line < actual.Count ? actual[line] : "(nothing)";
                if (c != expected[line])
                    throw new Xunit.Sdk.XunitException(
                        $"step {i} `{op.Command(trace.Threshold)}`: C says `{Clip(c)}`, the model `{Clip(expected[line])}`");
            }
        }
        if (actual.Count != expected.Count)
            throw new Xunit.Sdk.XunitException($"the driver printed {actual.Count} lines, the model {expected.Count}");
    }

    private static string Clip(string s) => s.Length <= 400 ? s : s[..400] + " ...";
}
