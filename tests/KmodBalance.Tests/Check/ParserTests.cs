using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Measurement;

namespace KmodBalance.Tests.Check;

public sealed class BalanceStatsParserTests
{
    [Fact]
    public void Sysfs_text_gives_flows_migrations_and_per_queue_load_and_flows()
    {
        var s = BalanceStatsParser.Parse("flows 4\nmigrations 2\nqueue 0 load 100 flows 1\nqueue 1 load 80 flows 1\nqueue 2 load 40 flows 1\nqueue 3 load 41 flows 1\n");

        s.Off.Should().BeFalse();
        s.Flows.Should().Be(4);
        s.Migrations.Should().Be(2);
        s.Queues.Select(q => q.Load).Should().Equal(100, 80, 40, 41);
        s.Queues.Select(q => q.Flows).Should().Equal(1, 1, 1, 1);
        s.LoadSpread.Should().Be(60);
    }

    [Fact]
    public void Mqtaps_joined_form_parses_the_same()
    {
        var joined = BalanceStatsParser.Parse(" | flows 2 | migrations 0 | queue 0 load 5 flows 2 | queue 1 load 0 flows 0");
        joined.Queues.Should().HaveCount(2);
        joined.Queues[0].Should().Be(new QueueBalance(0, 5, 2));
    }

    [Fact]
    public void Off_is_a_device_without_balancer() => BalanceStatsParser.Parse("off\n").Off.Should().BeTrue();

    [Theory]
    [InlineData("absent\n")]
    [InlineData("")]
    public void A_module_without_the_attribute_has_no_stats(string text) =>
        BalanceStatsParser.ParseOptional(text).Should().BeNull();

    [Fact]
    public void A_snapshot_with_the_attribute_parses_fully() =>
        BalanceStatsParser.ParseOptional("flows 1\nmigrations 7\nqueue 0 load 3 flows 1\n")!.Migrations.Should().Be(7);

    [Theory]
    [InlineData("migrations 1\nqueue 0 load 1 flows 1")]
    [InlineData("flows 1\nmigrations 1\nqueue 1 load 1 flows 1")]
    [InlineData("flows 1\nmigrations x")]
    [InlineData("flows 1\nmigrations 1\nqueue 0 load 4294967296 flows 1")]
    [InlineData("flows 1\nmigrations 1\nsomething else")]
    public void Anything_else_is_refused(string text) =>
        FluentActions.Invoking(() => BalanceStatsParser.Parse(text)).Should().Throw<FormatException>();
}

public sealed class ToolOutputParserTests
{
    private static CheckFlowsOutput Requeue() => CheckFlowsOutputParser.Parse(CheckFixture.Read("host_requeue.txt"));

    [Fact]
    public void Script_output_is_split_into_its_sections()
    {
        var o = Requeue();
        o.PeriodMs.Should().BeNull("the host's stock tun has no balance_period_ms");
        o.Threshold.Should().BeNull();
        o.UdpflowsExitCode.Should().Be(0);
        o.MqtapExitCode.Should().Be(0);
        o.Dmesg.Should().BeNull("KMB_DMESG=0 on the host");
        o.Mqtap.Should().StartWith("READY ifname=kmbq0");
    }

    [Fact]
    public void Script_output_without_its_end_is_refused()
    {
        var text = CheckFixture.Read("host_requeue.txt").Replace("### end", "", StringComparison.Ordinal);
        FluentActions.Invoking(() => CheckFlowsOutputParser.Parse(text)).Should().Throw<FormatException>().WithMessage("*### end*");
    }

    [Fact]
    public void Params_and_kernel_log_of_the_lab_are_read()
    {
        var o = CheckFlowsOutputParser.Parse("### params period_ms=200 threshold=20\n### udpflows rc=0\nudpflows start_ns=1\n### mqtap rc=0\nmqtap x\n### dmesg\n[ 1.0] a\n[ 2.0] b\n### end\n");
        o.PeriodMs.Should().Be(200);
        o.Threshold.Should().Be(20u);
        o.Dmesg.Should().Equal("[ 1.0] a", "[ 2.0] b");
    }

    [Fact]
    public void Udpflows_report_gives_every_flow()
    {
        var u = ToolOutputParser.ParseUdpflows(Requeue().Udpflows);
        u.Flows.Should().HaveCount(6).And.OnlyContain(f => f.Count == 600 && f.Sent == 600 && f.Errors == 0 && f.Pps == 250);
        u.Flows[0].Port.Should().Be(40001);
        u.Flows[0].MaxLateUs.Should().Be(943);
        u.Stopped.Should().BeFalse();
    }

    [Fact]
    public void Udpflows_cut_short_is_refused() =>
        FluentActions.Invoking(() => ToolOutputParser.ParseUdpflows("udpflows start_ns=5 flows=1 payload=64\nsent sport=1 pps=1 start_ms=0 count=1 sent=1 errors=0 first_ns=1 last_ns=1 max_late_us=0\n"))
            .Should().Throw<FormatException>().WithMessage("*end*");

    [Fact]
    public void Mqtap_report_gives_maps_events_segments_and_counters()
    {
        var m = ToolOutputParser.ParseMqtap(Requeue().Mqtap);

        m.IfName.Should().Be("kmbq0");
        m.Queues.Should().Be(4);
        m.BucketMs.Should().Be(50);
        m.Maps.Should().HaveCount(5);
        m.Maps[0].QueueOfSlot.Should().Equal(0, 1, 2, 3);
        m.Maps[1].QueueOfSlot.Should().Equal(new[] { 0, -1, 2, 1 }, "detaching queue 1 moves the last queue's file into index 1");
        m.Maps[^1].QueueOfSlot.Should().Equal(0, 2, 3, 1);
        m.Events.Select(e => (e.Op, e.Slot, e.AtMs, e.ReturnCode)).Should().Equal(
            (QueueOp.Detach, 1, 600, 0), (QueueOp.Detach, 2, 1000, 0), (QueueOp.Attach, 1, 1400, 0), (QueueOp.Attach, 2, 1800, 0));
        m.Events[0].BeginUs.Should().Be(600091);
        m.Segments.Where(s => s.Port == 40001).Select(s => s.Slot).Should().Equal(1, 3, 0, 3);
        m.Segments.Where(s => s.Port == 40001).Sum(s => s.Frames).Should().Be(600);
        m.Flows.Should().HaveCount(6).And.OnlyContain(f => f.Unique == 600 && f.Duplicates == 0 && f.MaxSeq == 599);
        m.Buckets.Where(b => b.Port == 40003).Sum(b => b.FramesPerSlot.Sum()).Should().Be(600);
        m.Slots.Sum(s => s.Frames).Should().Be(3600);
        (m.TxDroppedBefore, m.TxDroppedAfter).Should().Be((0, 0));
        m.EndReason.Should().Be("idle");
        m.Stats.Should().BeEmpty("the stock tun has no balance_stats");
    }

    [Fact]
    public void Slot_queue_follows_the_map_in_force_at_the_send_time()
    {
        var m = ToolOutputParser.ParseMqtap(Requeue().Mqtap);
        m.QueueOf(3, 500_000).Should().Be(3);
        m.QueueOf(3, 700_000).Should().Be(1);
        m.QueueOf(1, 700_000).Should().Be(-1);
        m.QueueOf(1, 1_500_000).Should().Be(2);
    }

    [Fact]
    public void Mqtap_stats_and_gap_lines_are_read()
    {
        const string text = """
            mqtap ifname=kmbq0 queues=2 bucket_ms=50 anchor_ns=100 first_sent_us=0
            map t_us=-5 slot0=0 slot1=1
            stats t_us=1200 | flows 2 | migrations 1 | queue 0 load 10 flows 1 | queue 1 load 12 flows 1
            gap flow=40001 first_seq=3 last_seq=4 prev_us=100 next_us=400
            gap flow=40002 first_seq=0 last_seq=0 prev_us=none next_us=50
            flow sport=40001 frames=8 unique=8 dups=0 beyond=0 max_seq=9 last_us=900 gaps=1
            flow sport=40009 frames=0 unique=0 dups=0 beyond=0 max_seq=-1
            txdropped before=3 after=5
            end frames=8 other=1 detached_reads=0 unknown_flows=0 wall_ms=10 reason=deadline
            """;
        var m = ToolOutputParser.ParseMqtap(text);
        m.Stats.Should().ContainSingle().Which.Stats.Migrations.Should().Be(1);
        m.Stats[0].TimeUs.Should().Be(1200);
        m.Gaps.Should().Equal(new FlowGap(40001, 3, 4, 100, 400), new FlowGap(40002, 0, 0, null, 50));
        m.Gaps[0].Count.Should().Be(2);
        m.Flows[1].MaxSeq.Should().Be(-1);
        (m.TxDroppedBefore, m.TxDroppedAfter, m.Other, m.EndReason).Should().Be((3, 5, 1, "deadline"));
    }

    [Theory]
    [InlineData("map t_us=0 slot0=0\nend frames=0 other=0 detached_reads=0 unknown_flows=0 wall_ms=1 reason=idle")]
    [InlineData("mqtap ifname=x queues=1 bucket_ms=50 anchor_ns=1\nmap t_us=0 slot0=0")]
    [InlineData("mqtap ifname=x queues=1 bucket_ms=50 anchor_ns=1\nend frames=0 other=0 detached_reads=0 unknown_flows=0 wall_ms=1 reason=idle")]
    [InlineData("mqtap ifname=x queues=1 bucket_ms=50 anchor_ns=1\nmap t_us=0 slot0=0\nseg flow=1 slot=0\nend frames=0 other=0 detached_reads=0 unknown_flows=0 wall_ms=1 reason=idle")]
    public void Incomplete_mqtap_reports_are_refused(string text) =>
        FluentActions.Invoking(() => ToolOutputParser.ParseMqtap(text)).Should().Throw<FormatException>();
}
