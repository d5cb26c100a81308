using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Tests.Check;

/// <summary>The opt-in scenarios (optin, flood, single-queue, netpoll) and the older ones on output captured
/// in L1 with the opt-in module (debugfs statistics), then on the same records with one thing broken.</summary>
public sealed class OptInAnalyzerTests
{
    internal static ScenarioObservation Observe(string policy, string scenario, string? fixture = null)
    {
        var o = CheckFlowsOutputParser.Parse(CheckFixture.Read(Path.Combine("debugfs", fixture ?? $"l1_{policy}_{scenario}.txt")));
        return new ScenarioObservation(CheckScenarios.For(PolicyNames.Parse(policy)).Single(s => s.Name == scenario),
            ToolOutputParser.ParseUdpflows(o.Udpflows), ToolOutputParser.ParseMqtap(o.Mqtap), o.Dmesg)
        {
            DebugfsBefore = o.DebugfsBefore, DebugfsAfter = o.DebugfsAfter, Netconsole = o.Netconsole, BalanceDefaultSet = o.BalanceDefaultSet,
        };
    }

    private static PropertyVerdict Only(ScenarioObservation o, string property) => ScenarioAnalyzer.Judge(o).Single(v => v.Property == property);

    private static ScenarioObservation WithSegments(ScenarioObservation o, Func<FlowSegment, FlowSegment> change) =>
        o with { Seen = o.Seen with { Segments = o.Seen.Segments.Select(change).ToList() } };

    [Theory]
    [InlineData("dynamic", "spread4")]
    [InlineData("dynamic", "converge")]
    [InlineData("dynamic", "requeue")]
    [InlineData("dynamic", "optin")]
    [InlineData("dynamic", "flood")]
    [InlineData("dynamic", "single-queue")]
    [InlineData("dynamic", "netpoll")]
    [InlineData("hash", "sticky")]
    [InlineData("hash", "requeue")]
    [InlineData("hash", "optin")]
    [InlineData("hash", "single-queue")]
    [InlineData("hash", "netpoll")]
    public void Captured_runs_with_the_opt_in_module_pass_every_property(string policy, string scenario)
    {
        var verdicts = ScenarioAnalyzer.Judge(Observe(policy, scenario));
        verdicts.Should().HaveCount(CheckScenarios.For(PolicyNames.Parse(policy)).Single(s => s.Name == scenario).Properties.Count);
        verdicts.Should().OnlyContain(v => v.Verdict == LabVerdicts.Pass, string.Join("; ", verdicts.Select(v => v.Message)));
    }

    [Fact]
    public void A_fresh_dynamic_tap_steers_a_flows_first_datagram_by_hash_before_admitting_it()
    {
        var o = Observe("dynamic", "spread4");
        var tracks = FlowTracks.Build(o.Scenario, o.Seen);
        tracks.Where(t => t.BeforeAdmission is not null).Should().NotBeEmpty("some flows' hash queue differs from their placed queue");
        tracks.Where(t => t.BeforeAdmission is { } b).Should().OnlyContain(t => t.BeforeAdmission!.FirstSeq == 0 && t.BeforeAdmission.Frames == 1);
    }

    // --- optin ---

    [Fact]
    public void A_flow_off_automqs_queue_while_off_fails_optin()
    {
        // 40003 was never answered: stock keeps it on its hash queue; pretend its last run went elsewhere
        var o = WithSegments(Observe("dynamic", "optin"), s => s.Port == 40003 && s.FirstSeq == 321 ? s with { Slot = (s.Slot + 1) % 4 } : s);
        var v = Only(o, CheckProperties.OffSteersAsStock);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("not where stock automq puts them").And.Contain("40003");
    }

    [Fact]
    public void Replies_that_were_not_learnt_fail_optin()
    {
        // without the replies, the answered flows' moves are no longer what stock automq does
        var o = Observe("hash", "optin");
        var v = Only(o with { Seen = o.Seen with { Replies = [] } }, CheckProperties.OffSteersAsStock);
        v.Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void Two_flows_on_one_queue_while_on_fail_dynamic_optin()
    {
        var o = WithSegments(Observe("dynamic", "optin"), s => s.Port == 40004 && s.FirstSeq == 162 ? s with { Slot = 2 } : s);
        var v = Only(o, CheckProperties.OnUnderTrafficBalances);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("not one per queue");
    }

    [Fact]
    public void A_flow_off_its_hash_queue_while_on_fails_hash_optin()
    {
        var o = Observe("hash", "optin");
        var on = o.Seen.Toggles[0];
        var v = Only(WithSegments(o, s => s.Port == 40002 && s.FirstUs > on.EndUs && s.LastUs < o.Seen.Toggles[1].BeginUs ? s with { Slot = (s.Slot + 1) % 4 } : s),
            CheckProperties.OnUnderTrafficBalances);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("off their hash queue");
    }

    [Fact]
    public void State_left_after_the_switch_off_fails_optin()
    {
        var o = Observe("dynamic", "optin");
        var off = o.Seen.Toggles[1];
        var kept = o.Seen.Stats.Last(x => !x.Stats.Off).Stats;
        var stats = o.Seen.Stats.Select(x => x.TimeUs > off.EndUs ? x with { Stats = kept with { Requested = 0 } } : x).ToList();
        var v = Only(o with { Seen = o.Seen with { Stats = stats } }, CheckProperties.OffAgainFreesState);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("after the switch off");
    }

    [Fact]
    public void A_datagram_stamped_before_a_switch_is_not_judged_if_its_send_may_have_ended_after_it()
    {
        // Captured on 6.12 (one TCG thread) by a udpflows that did not yet time send(): 40001's datagram
        // stamped 0.3 ms before the switch on was steered after it, onto its hash queue.
        var o = Observe("hash", "optin", "l1_hash_optin_switch_during_send.txt");
        var untimed = Only(o, CheckProperties.OffSteersAsStock);
        untimed.Verdict.Should().Be(LabVerdicts.Fail);
        untimed.Message.Should().Contain("40001 #160-320 (800.1 ms-1600.0 ms) on q1");

        var timed = o with { Sent = o.Sent with { Flows = o.Sent.Flows.Select(f => f with { MaxSendUs = 400 }).ToList() } };
        var v = Only(timed, CheckProperties.OffSteersAsStock);
        v.Verdict.Should().Be(LabVerdicts.Pass, v.Message);
        Only(timed, CheckProperties.OnUnderTrafficBalances).Verdict.Should().Be(LabVerdicts.Pass);
    }

    // --- flood ---

    [Theory]
    [InlineData(-200, "not counted")]
    [InlineData(200, "more than the")]
    public void A_counted_total_off_by_more_than_the_datagrams_near_the_last_remap_fails_flood(long change, string message)
    {
        // captured idle after the traffic: L1's deferrable timer left the last datagrams' period open, so
        // the steered count before the last remap is known within a few tens of datagrams
        var o = Observe("dynamic", "flood");
        var stats = o.Seen.Stats.Select(x => x with { Stats = x.Stats with { Counted = x.Stats.Counted + change } }).ToList();
        var v = Only(o with { Seen = o.Seen with { Stats = stats } }, CheckProperties.FloodEveryPacketCounted);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain(message);
    }

    [Fact]
    public void Remaps_the_reader_never_sampled_do_not_matter_to_the_flood_count()
    {
        // the kernel's counted total covers every period: a reader starved by the flood may miss some
        var o = Observe("dynamic", "flood");
        var stats = o.Seen.Stats.Where(x => x.Stats.Periods is not (3 or 5)).ToList();
        stats.Should().HaveCountLessThan(o.Seen.Stats.Count);
        var v = Only(o with { Seen = o.Seen with { Stats = stats } }, CheckProperties.FloodEveryPacketCounted);
        v.Verdict.Should().Be(LabVerdicts.Pass, v.Message);
    }

    [Fact]
    public void A_module_that_prints_no_counted_total_makes_the_flood_count_an_error()
    {
        var o = Observe("dynamic", "flood");
        var stats = o.Seen.Stats.Select(x => x with { Stats = x.Stats with { Counted = null } }).ToList();
        var v = Only(o with { Seen = o.Seen with { Stats = stats } }, CheckProperties.FloodEveryPacketCounted);
        v.Verdict.Should().Be(LabVerdicts.Error);
        v.Message.Should().Contain("no \"counted\" total");
    }

    [Fact]
    public void Paced_flows_left_sharing_a_queue_fail_flood()
    {
        var o = Observe("dynamic", "flood");
        var last = o.Seen.Segments.Where(s => s.Port == 40001).MaxBy(s => s.FirstSeq)!;
        var other = o.Seen.Segments.Where(s => s.Port == 40002).MaxBy(s => s.FirstSeq)!;
        var v = Only(WithSegments(o, s => s == last ? s with { Slot = other.Slot } : s), CheckProperties.FloodFlowsEndOnePerQueue);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("still share queues");
    }

    // --- single-queue ---

    [Fact]
    public void State_on_a_single_queue_tap_fails()
    {
        var o = Observe("dynamic", "single-queue");
        var block = BalanceStatsParser.Parse("balance 0 | balancers 1 | device kmbq0 ifindex 9 policy dynamic flows 0 migrations 0 periods 0 | queue 0 load 0 flows 0", "kmbq0");
        var stats = o.Seen.Stats.Select((x, i) => i == 1 ? x with { Stats = block } : x).ToList();
        var v = Only(o with { Seen = o.Seen with { Stats = stats } }, CheckProperties.SingleQueueNoState);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("expected no device block, balancers 0");
    }

    [Fact]
    public void A_single_queue_tap_that_accepts_balancing_fails()
    {
        var o = Observe("hash", "single-queue");
        var v = Only(o with { Seen = o.Seen with { Balance = new BalanceRequest(1, 1, 0, false) } }, CheckProperties.SingleQueueNoState);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("not EOPNOTSUPP").And.Contain("reads 1");
    }

    [Fact]
    public void A_single_queue_tap_that_refuses_balancing_off_fails()
    {
        var o = Observe("dynamic", "single-queue");
        var off = o.Seen.Toggles.Should().ContainSingle().Subject;
        var refused = off with { ReturnCode = -1, Errno = 95, Read = 0 };
        var v = Only(o with { Seen = o.Seen with { Toggles = [refused] } }, CheckProperties.SingleQueueNoState);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("writing 0 to balance was not taken: rc -1, errno 95");
    }

    // --- netpoll ---

    [Fact]
    public void Netconsole_datagrams_on_two_queues_fail_netpoll()
    {
        var o = Observe("dynamic", "netpoll");
        var slots = o.Seen.Slots.Select((x, i) => x with { Netcons = i < 2 ? 100 : 0 }).ToList();
        var v = Only(o with { Seen = o.Seen with { Slots = slots } }, CheckProperties.NetpollSafe);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("several queues");
    }

    [Fact]
    public void A_netpoll_packet_in_the_flow_table_fails_netpoll()
    {
        var o = Observe("dynamic", "netpoll");
        var stats = o.Seen.Stats.Select(x => x.Stats.Off ? x : x with { Stats = x.Stats with { Flows = 5 } }).ToList();
        var v = Only(o with { Seen = o.Seen with { Stats = stats } }, CheckProperties.NetpollSafe);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("a netpoll packet was admitted");
    }

    [Fact]
    public void A_splat_while_netconsole_logs_fails_netpoll()
    {
        var o = Observe("hash", "netpoll") with { Dmesg = ["[ 40.1] WARNING: CPU: 0 PID: 12 at kernel/softirq.c:376 __local_bh_enable_ip+0x5d/0x70"] };
        Only(o, CheckProperties.NetpollSafe).Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void Netconsole_that_did_not_load_is_an_error()
    {
        var o = Observe("hash", "netpoll");
        var v = Only(o with { Netconsole = o.Netconsole! with { ModprobeExitCode = 1, Output = "modprobe: FATAL: Module netconsole not found" } }, CheckProperties.NetpollSafe);
        v.Verdict.Should().Be(LabVerdicts.Error);
    }
}
