using FluentAssertions;
using KmodBalance.Harness.Capacity;
using KmodBalance.Harness.Compare;

namespace KmodBalance.Tests.Capacity;

/// <summary>A capacity trial's figures from check-flows.sh output written by hand in the tools' format
/// (kmod/lab-tools/README.md): two flows share queue 1, one has queue 2, one moved from queue 0 to 3.</summary>
public class CapacityTrialTests
{
    private static readonly CapacityOptions Options = new() { Queues = 4, DurationSeconds = 2, FlowPps = 800, PayloadBytes = 1000 };
    private static readonly ScheduledTrial Slot = new(Policy.Dynamic, 3, 5);
    private static readonly int[] Ports = [41001, 41002, 41003, 41004];

    public static string Output(string endReason = "window", string reordered4 = " reordered=7", string stats = DynamicStats) => $"""
        ### params period_ms=200 threshold=64 balance_default=1
        ### debugfs before
        balancers 0
        ### udpflows rc=0
        udpflows start_ns=100 flows=4 payload=1000
        sent sport=41001 pps=800 start_ms=0 count=1600 sent=1600 errors=0 first_ns=1 last_ns=2 max_late_us=10
        sent sport=41002 pps=800 start_ms=0 count=1600 sent=1600 errors=0 first_ns=1 last_ns=2 max_late_us=10
        sent sport=41003 pps=800 start_ms=0 count=1600 sent=1600 errors=0 first_ns=1 last_ns=2 max_late_us=10
        sent sport=41004 pps=800 start_ms=0 count=1600 sent=1600 errors=0 first_ns=1 last_ns=2 max_late_us=10
        udpflows end wall_ms=2001 stopped=0
        ### mqtap rc=0
        READY ifname=kmbq0 queues=4 stats=1 balance=-1
        mqtap ifname=kmbq0 queues=4 bucket_ms=50 anchor_ns=1 first_sent_us=0
        service pps=1000 burst=8 window_ms=2100
        map t_us=-3000 slot0=0 slot1=1 slot2=2 slot3=3
        {stats}
        seg flow=41001 slot=1 first_seq=0 last_seq=1599 frames=1000 first_us=0 last_us=2000000
        flow sport=41001 frames=1000 unique=1000 dups=0 beyond=0 max_seq=1599 last_us=2000000 gaps=3 reordered=0
        seg flow=41002 slot=1 first_seq=0 last_seq=1599 frames=1000 first_us=0 last_us=2000000
        flow sport=41002 frames=1000 unique=1000 dups=0 beyond=0 max_seq=1599 last_us=2000000 gaps=3 reordered=0
        seg flow=41003 slot=2 first_seq=0 last_seq=1599 frames=1600 first_us=0 last_us=2000000
        flow sport=41003 frames=1600 unique=1600 dups=0 beyond=0 max_seq=1599 last_us=2000000 gaps=0 reordered=0
        seg flow=41004 slot=0 first_seq=0 last_seq=799 frames=800 first_us=0 last_us=1000000
        seg flow=41004 slot=3 first_seq=800 last_seq=1599 frames=800 first_us=1001250 last_us=2000000
        flow sport=41004 frames=1600 unique=1600 dups=0 beyond=0 max_seq=1599 last_us=2000000 gaps=0{reordered4}
        slot slot=0 frames=800 other=0 detached_reads=0 flood=0 netcons=0
        slot slot=1 frames=2000 other=0 detached_reads=0 flood=0 netcons=0
        slot slot=2 frames=1600 other=0 detached_reads=0 flood=0 netcons=0
        slot slot=3 frames=800 other=0 detached_reads=0 flood=0 netcons=0
        txdropped before=10 after=510
        end frames=5200 other=0 detached_reads=0 unknown_flows=0 wall_ms=2400 reason={endReason}
        ### debugfs after
        balancers 0
        ### end

        """;

    private const string DynamicStats =
        "stats t_us=2100000 prev_us=1100000 | balance 1 | balancers 1 | device kmbq0 ifindex 4 policy dynamic flows 4 migrations 1 periods 9 " +
        "| queue 0 load 0 flows 0 | queue 1 load 320 flows 2 | queue 2 load 160 flows 1 | queue 3 load 160 flows 1";

    [Fact]
    public void Delivered_drops_shares_reordering_and_moves_come_from_the_tools_output()
    {
        var t = CapacityTrial.From(Slot, Ports, Output(), Options, 3.04);

        t.Error.Should().BeNull();
        (t.Policy, t.Trial, t.Slot).Should().Be(("dynamic", 3, 5));
        t.Sent.Should().Be(6400);
        t.Delivered.Should().Be(5200);
        t.Drops.Should().Be(1200);
        t.TapTxDropped.Should().Be(500);
        t.DeliveredFraction.Should().Be(0.8125);
        t.ThroughputMbps.Should().Be(20.8, "5200 datagrams x 1000 bytes x 8 over 2 s");
        t.Reordered.Should().Be(7);
        t.Migrations.Should().Be(1, "the balancer's own count");
        t.QueueChanges.Should().Be(1, "41004 changed from queue 0 to 3 once");
        t.QueueShares.Should().Equal(0.1538, 0.3846, 0.3077, 0.1538);
        t.QueueShares.Sum().Should().BeApproximately(1, 1e-3);
        t.Jain.Should().BeApproximately(5200.0 * 5200 / (4 * (800.0 * 800 + 2000.0 * 2000 + 1600.0 * 1600 + 800.0 * 800)), 1e-4);
        t.Balancing.Should().Be("on (policy dynamic)");
        t.Dipped.Should().BeTrue("81% of the offer is below the dip line");
    }

    [Fact]
    public void A_stock_module_has_no_balancer_and_no_migrations()
    {
        var t = CapacityTrial.From(Slot with { Policy = Policy.Stock }, Ports, Output(stats: ""), Options, 3);

        t.Balancing.Should().StartWith("off (no balance attribute");
        t.Migrations.Should().Be(0);
        t.QueueChanges.Should().Be(1);
    }

    [Fact]
    public void A_reader_that_stopped_before_its_window_closed_makes_the_trial_an_error()
    {
        var t = CapacityTrial.From(Slot, Ports, Output(endReason: "idle"), Options, 3);

        t.Measured.Should().BeFalse();
        t.Error.Should().Contain("'idle'");
    }

    [Fact]
    public void An_mqtap_without_reordering_counts_is_refused()
    {
        var act = () => CapacityTrial.From(Slot, Ports, Output(reordered4: ""), Options, 3);

        act.Should().Throw<FormatException>().WithMessage("*reordered=*41004*");
    }

    [Fact]
    public void A_flow_udpflows_does_not_report_makes_the_trial_an_error()
    {
        var t = CapacityTrial.From(Slot, [41001, 41002, 41003, 49999], Output(), Options, 3);

        t.Error.Should().Contain("no flow 49999");
    }

    [Fact]
    public void Output_cut_short_is_refused()
    {
        var text = Output();
        var act = () => CapacityTrial.From(Slot, Ports, text[..text.IndexOf("### debugfs after", StringComparison.Ordinal)], Options, 3);

        act.Should().Throw<FormatException>();
    }
}
