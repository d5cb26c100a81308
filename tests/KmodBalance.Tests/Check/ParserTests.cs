using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Measurement;

namespace KmodBalance.Tests.Check;

public sealed class BalanceStatsParserTests
{
    /// <summary>/sys/kernel/debug/tun_balance with two balancing devices (format of docs/BALANCER.md, "Statistics").</summary>
    private const string TwoDevices =
        "balancers 2\n" +
        "device ltap0 ifindex 4 policy dynamic flows 0 migrations 0 periods 0\n" +
        "device kmbq0 ifindex 5 policy dynamic flows 4 migrations 3 periods 17 counted 27031\n" +
        "queue 0 load 812 flows 1\nqueue 1 load 790 flows 1\nqueue 2 load 40 flows 1\nqueue 3 load 41 flows 1\n";

    [Fact]
    public void The_debugfs_file_gives_one_devices_block()
    {
        var s = BalanceStatsParser.Parse(TwoDevices, "kmbq0");

        s.Off.Should().BeFalse();
        (s.Balancers, s.Device, s.Ifindex, s.Policy, s.Flows, s.Migrations, s.Periods, s.Counted).Should().Be((2L, "kmbq0", 5, "dynamic", 4L, 3L, 17L, 27031L));
        s.Queues.Select(q => q.Load).Should().Equal(812, 790, 40, 41);
        s.Queues.Select(q => q.Flows).Should().Equal(1, 1, 1, 1);
        s.LoadSpread.Should().Be(772);
        s.TotalLoad.Should().Be(1683);
        s.Requested.Should().BeNull("the file does not hold the sysfs attribute");
    }

    [Fact]
    public void Another_devices_block_is_skipped_and_a_queueless_block_is_the_hash_policys()
    {
        var other = BalanceStatsParser.Parse(TwoDevices, "ltap0");
        (other.Off, other.Queues.Count, other.Periods).Should().Be((false, 0, 0L));
        var hash = BalanceStatsParser.Parse("balancers 1\ndevice kmbq0 ifindex 7 policy hash flows 0 migrations 0 periods 0\n", "kmbq0");
        (hash.Policy, hash.Queues.Count, hash.Counted).Should().Be(("hash", 0, (long?)null), "a module built before \"counted\" was printed ends its line at periods");
    }

    [Fact]
    public void Adaptives_line_adds_its_pauses_and_the_packets_they_dropped()
    {
        var s = BalanceStatsParser.Parse("balancers 1\ndevice ltap0 ifindex 3 policy adaptive flows 9 migrations 1 periods 59 counted 316461 pauses 2 pause_drops 317\n" +
            "queue 0 load 18 flows 3\n", "ltap0");
        (s.Policy, s.Counted, s.Pauses, s.PauseDrops).Should().Be(("adaptive", 316461L, 2L, 317L));
        BalanceStatsParser.Parse(TwoDevices, "kmbq0").Pauses.Should().BeNull("dynamic does not pause");
    }

    [Fact]
    public void A_device_without_a_block_is_off_and_keeps_the_balancers_count()
    {
        var s = BalanceStatsParser.Parse(TwoDevices, "kmbq9");
        s.Off.Should().BeTrue();
        s.Balancers.Should().Be(2);
        var (balancers, devices) = BalanceStatsParser.ParseFile("balancers 0\n");
        (balancers, devices.Count).Should().Be((0L, 0));
    }

    [Fact]
    public void Mqtaps_joined_sample_parses_with_the_attribute()
    {
        // a stats line as mqtap prints it: the attribute, the balancers line and only its device's block
        var joined = BalanceStatsParser.Parse(" | balance 1 | balancers 1 | device kmbq0 ifindex 5 policy dynamic flows 2 migrations 0 periods 3 | queue 0 load 5 flows 2 | queue 1 load 0 flows 0", "kmbq0");
        joined.Requested.Should().Be(1);
        joined.Queues.Should().HaveCount(2);
        joined.Queues[0].Should().Be(new QueueBalance(0, 5, 2));
        BalanceStatsParser.Parse(" | balance 1 | balancers 0", "kmbq0").Should().Match<BalanceStats>(b => b.Off && b.Requested == 1 && b.Balancers == 0);
    }

    [Theory]
    [InlineData("absent\n")]
    [InlineData("")]
    public void A_stock_module_has_no_statistics(string text) =>
        BalanceStatsParser.ParseOptional(text, "ltap0").Should().BeNull();

    [Fact]
    public void A_lab_snapshot_with_the_file_parses_fully() =>
        BalanceStatsParser.ParseOptional(TwoDevices, "kmbq0")!.Migrations.Should().Be(3);

    [Theory]
    [InlineData("queue 0 load 1 flows 1")]
    [InlineData("balancers 1\ndevice kmbq0 ifindex 5 policy dynamic flows 1 migrations 0 periods 1\nqueue 1 load 1 flows 1")]
    [InlineData("balancers x")]
    [InlineData("balancers 1\ndevice kmbq0 ifindex 5 policy dynamic flows 1 migrations 0 periods 1\nqueue 0 load 4294967296 flows 1")]
    [InlineData("balancers 1\nsomething else")]
    [InlineData("flows 4\nmigrations 2")]
    [InlineData("balancers 1\ndevice kmbq0 ifindex 5 policy dynamic flows 1 migrations 0 periods 1 counted")]
    [InlineData("balancers 1\ndevice kmbq0 ifindex 5 policy dynamic flows 1 migrations 0 periods 1 counted 4 extra 1")]
    [InlineData("balancers 1\ndevice kmbq0 ifindex 5 policy adaptive flows 1 migrations 0 periods 1 counted 4 pauses 1")]
    [InlineData("balancers 1\ndevice kmbq0 ifindex 5 policy adaptive flows 1 migrations 0 periods 1 counted 4 pause_drops 1 pauses 1")]
    public void Anything_else_is_refused(string text) =>
        FluentActions.Invoking(() => BalanceStatsParser.Parse(text, "kmbq0")).Should().Throw<FormatException>();

    [Fact]
    public void Two_blocks_for_one_device_are_refused() =>
        FluentActions.Invoking(() => BalanceStatsParser.Parse("balancers 2\ndevice a ifindex 1 policy hash flows 0 migrations 0 periods 0\n" +
            "device a ifindex 2 policy hash flows 0 migrations 0 periods 0\n", "a")).Should().Throw<FormatException>();
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
        m.Stats.Should().BeEmpty("the stock tun has no balancer statistics");
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
            stats t_us=1200 | balance 1 | balancers 1 | device kmbq0 ifindex 3 policy dynamic flows 2 migrations 1 periods 6 | queue 0 load 10 flows 1 | queue 1 load 12 flows 1
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

/// <summary>The lines the opt-in scenarios added to mqtap's, udpflows' and check-flows.sh's output.</summary>
public sealed class OptInOutputParserTests
{
    [Fact]
    public void Mqtap_balance_switches_replies_flood_netconsole_and_samples_are_read()
    {
        const string text = """
            mqtap ifname=kmbq0 queues=2 bucket_ms=50 anchor_ns=100 first_sent_us=0
            balance requested=1 read=0 errno=95 multi_queue=0
            map t_us=-5 slot0=0 slot1=1
            event op=balance value=1 at_ms=800 done=1 rc=0 errno=0 begin_us=800420 end_us=800913 read=1
            event op=balance value=0 at_ms=1600 done=1 rc=0 errno=0 begin_us=1600400 end_us=1603012 read=0
            reply flow=40001 slot=1 begin_us=2550 end_us=2590 rc=0 errno=0
            stats t_us=1200 prev_us=1195 | balance 1 | balancers 1 | device kmbq0 ifindex 3 policy dynamic flows 2 migrations 1 periods 4 | queue 0 load 10 flows 1 | queue 1 load 12 flows 1
            stats t_us=1700 prev_us=1603 | balance 0 | balancers 0
            flood t_us=-3000 width_us=10000 frames=120,131
            floodsum frames=251 late=0
            netcons port=6666 first_us=10 last_us=900
            slot slot=0 frames=8 other=0 detached_reads=0 flood=120 netcons=7
            slot slot=1 frames=0 other=0 detached_reads=0 flood=131 netcons=0
            end frames=8 other=0 detached_reads=0 unknown_flows=0 wall_ms=10 reason=idle
            """;
        var m = ToolOutputParser.ParseMqtap(text);

        m.Balance.Should().Be(new BalanceRequest(1, 0, 95, false));
        m.Toggles.Select(t => (t.Value, t.BeginUs, t.EndUs, t.Read)).Should().Equal((1, 800420L, 800913L, 1), (0, 1600400L, 1603012L, 0));
        m.Events.Should().BeEmpty("balance switches are not queue changes");
        m.Replies.Should().Equal(new ReplySent(40001, 1, 2550, 2590, 0, 0));
        m.Stats.Should().HaveCount(2);
        m.Stats[0].PrevUs.Should().Be(1195);
        m.Stats[0].Stats.Should().Match<BalanceStats>(b => !b.Off && b.Periods == 4 && b.Requested == 1 && b.Balancers == 1 && b.Policy == "dynamic");
        m.Stats[1].Stats.Should().Match<BalanceStats>(b => b.Off && b.Requested == 0 && b.Balancers == 0);
        m.Flood.Should().ContainSingle().Which.FramesPerSlot.Should().Equal(120, 131);
        m.FloodFrames.Should().Be(251);
        m.Netcons.Should().Be(new NetconsSeen(6666, 10, 900));
        m.Slots.Select(x => (x.Flood, x.Netcons)).Should().Equal((120L, 7L), (131L, 0L));
    }

    [Fact]
    public void Udpflows_flood_line_is_read()
    {
        var u = ToolOutputParser.ParseUdpflows("""
            udpflows start_ns=5 flows=1 payload=64
            sent sport=40001 pps=500 start_ms=300 count=323 sent=323 errors=0 first_ns=1 last_ns=2 max_late_us=28150
            flood count=100000 sent=100000 errors=0 start_ms=0 first_ns=5417157969686 last_ns=5417501073827 pps=291453 seed=1
            udpflows end wall_ms=1242 stopped=0
            """);
        u.Flood.Should().Be(new FloodSent(100000, 100000, 0, 0, 5417157969686, 5417501073827, 291453, 1));
        u.Flows.Single().Count.Should().Be(323, "a +TAIL flow reports the count it reached");
    }

    [Fact]
    public void Check_flows_sections_of_the_opt_in_scenarios_are_read()
    {
        var o = CheckFlowsOutputParser.Parse("""
            ### params period_ms=200 threshold=20 balance_default=0
            ### debugfs before
            balancers 0
            ### balance_default set=Y
            ### udpflows rc=0
            udpflows start_ns=1
            ### mqtap rc=0
            mqtap x
            ### netconsole rc=0 lines=150 port=6666
            ### debugfs after
            balancers 0
            ### end
            """);
        o.BalanceDefault.Should().Be(0);
        o.BalanceDefaultSet.Should().Be(1);
        o.DebugfsBefore!.Trim().Should().Be("balancers 0");
        o.DebugfsAfter!.Trim().Should().Be("balancers 0");
        o.Netconsole.Should().Be(new NetconsoleRun(0, 150, 6666, ""));
    }

    [Fact]
    public void A_scenarios_shell_command_carries_its_environment_and_options()
    {
        var flood = CheckScenarios.For(Policy.Dynamic).Single(s => s.Name == "flood");
        CheckRun.Command(flood).Should().StartWith("KMB_MAX_S='40' KMB_NOQUEUE='1' KMB_UDPFLOWS_OPTS='-F 100000@0' /opt/kmb/check-flows.sh kmbq0 200 20 '-q 4 -b 50 -i 700 -S 5 -B 1' 40001:500:300:+1400 ");
        var optin = CheckScenarios.For(Policy.Hash).Single(s => s.Name == "optin");
        CheckRun.Command(optin).Should().Contain("KMB_UDPFLOWS_OPTS='-L 400'").And.Contain("'-q 4 -b 50 -i 400 -S 5 -e balance:1@800 -e balance:0@1600 -r 40001:+1 -r 40002:+2'");
        CheckRun.Command(CheckScenarios.For(Policy.Dynamic).Single(s => s.Name == "single-queue")).Should().Contain("KMB_BALANCE_DEFAULT='1'").And.Contain("'-s -b 50 -i 400 -S 5 -B 1 -e balance:0@400'");
        CheckRun.Command(CheckScenarios.For(Policy.Dynamic).Single(s => s.Name == "netpoll")).Should().Contain("KMB_NETCONSOLE='6666'").And.Contain("-N 6666");
    }
}
