using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Tests.Check;

/// <summary>The analyzers on output captured in L1 (dynamic and hash module) and on the runner's own tun,
/// then on the same records with one thing broken: each property must be able to fail.</summary>
public sealed class ScenarioAnalyzerTests
{
    internal static ScenarioObservation Observe(string fixture, CheckScenario scenario)
    {
        var o = CheckFlowsOutputParser.Parse(CheckFixture.Read(fixture));
        return new ScenarioObservation(scenario, ToolOutputParser.ParseUdpflows(o.Udpflows), ToolOutputParser.ParseMqtap(o.Mqtap), o.Dmesg);
    }

    private static CheckScenario Dynamic(string name) => CheckScenarios.For(Policy.Dynamic).Single(s => s.Name == name);
    private static CheckScenario Hash(string name) => CheckScenarios.For(Policy.Hash).Single(s => s.Name == name);

    private static PropertyVerdict Only(ScenarioObservation o, string property) =>
        ScenarioAnalyzer.Judge(o).Single(v => v.Property == property);

    private static ScenarioObservation WithSegments(ScenarioObservation o, Func<FlowSegment, FlowSegment> change) =>
        o with { Seen = o.Seen with { Segments = o.Seen.Segments.Select(change).ToList() } };

    // --- captured runs pass ---

    [Theory]
    [InlineData("l1_dynamic_spread4.txt", "spread4")]
    [InlineData("l1_dynamic_converge.txt", "converge")]
    [InlineData("l1_dynamic_requeue.txt", "requeue")]
    public void Captured_dynamic_runs_pass_every_property(string fixture, string scenario)
    {
        var verdicts = ScenarioAnalyzer.Judge(Observe(fixture, Dynamic(scenario)));
        verdicts.Should().HaveCount(Dynamic(scenario).Properties.Count);
        verdicts.Should().OnlyContain(v => v.Verdict == LabVerdicts.Pass, string.Join("; ", verdicts.Select(v => v.Message)));
    }

    [Theory]
    [InlineData("l1_hash_sticky.txt", "sticky")]
    [InlineData("l1_hash_requeue.txt", "requeue")]
    [InlineData("host_sticky.txt", "sticky")]
    [InlineData("host_requeue.txt", "requeue")]
    public void Captured_hash_and_host_runs_pass(string fixture, string scenario)
    {
        var verdicts = ScenarioAnalyzer.Judge(Observe(fixture, Hash(scenario) with { Balance = !fixture.StartsWith("host_", StringComparison.Ordinal) }));
        verdicts.Should().OnlyContain(v => v.Verdict == LabVerdicts.Pass, string.Join("; ", verdicts.Select(v => v.Message)));
    }

    [Fact]
    public void Spread4_reports_when_the_flows_settled()
    {
        var v = Only(Observe("l1_dynamic_spread4.txt", Dynamic("spread4")), CheckProperties.OnePerQueueWithinTwoPeriods);
        // the bound: the second remap the samples show after the start (911.1 ms), a datagram interval and the
        // lateness udpflows measured for the test flows (19.7 ms; the design would allow 150)
        v.Message.Should().Contain("placed two and two on q0/q1").And.Contain("310.1 ms after the start").And.Contain("bound 336.8 ms");
        v.Evidence.Should().Contain("moves seen 2, module migrations 2");
    }

    // --- hash: one queue per flow ---

    [Fact]
    public void A_flow_split_over_two_queues_fails_sticky()
    {
        var o = WithSegments(Observe("l1_hash_sticky.txt", Hash("sticky")),
            s => s.Port == 40003 ? s with { LastSeq = 99, Frames = 100 } : s);
        var moved = new FlowSegment(40003, 0, 100, 299, 200, 400_000, 1_196_000);
        o = o with { Seen = o.Seen with { Segments = [.. o.Seen.Segments, moved] } };

        var v = Only(o, CheckProperties.OneQueuePerFlow);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("1 flows changed queue").And.Contain("40003");
    }

    // --- dynamic: spread4 ---

    [Fact]
    public void Flows_left_sharing_a_queue_fail_spread4()
    {
        var o = WithSegments(Observe("l1_dynamic_spread4.txt", Dynamic("spread4")),
            s => s.Port == 40004 && s.Slot == 3 ? s with { Slot = 2 } : s);
        var v = Only(o, CheckProperties.OnePerQueueWithinTwoPeriods);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("did not end up one per queue");
    }

    [Fact]
    public void Settling_after_the_second_remap_fails_spread4()
    {
        // f4's move seen 500 ms after the start instead of 310 ms
        var o = WithSegments(Observe("l1_dynamic_spread4.txt", Dynamic("spread4")),
            s => s.Port == 40004 && s.Slot == 3 ? s with { FirstUs = 598_936 + 500_000 } : s);
        var v = Only(o, CheckProperties.OnePerQueueWithinTwoPeriods);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("later than the second remap after the start");
    }

    [Fact]
    public void A_placement_other_than_balancer_md_predicts_fails_spread4()
    {
        var o = WithSegments(Observe("l1_dynamic_spread4.txt", Dynamic("spread4")),
            s => s.Port == 40003 && s.Slot == 0 ? s with { Slot = 1 } : s);
        var v = Only(o, CheckProperties.OnePerQueueWithinTwoPeriods);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("did not place the flows as BALANCER.md predicts")
            .And.Contain("placed 40001 q0, 40002 q1, 40003 q1, 40004 q1").And.Contain("predicted 40001 q0, 40002 q1, 40003 q0, 40004 q1");
    }

    [Fact]
    public void A_migration_count_other_than_the_moves_seen_fails()
    {
        var o = Observe("l1_dynamic_spread4.txt", Dynamic("spread4"));
        var last = o.Seen.Stats[^1];
        o = o with { Seen = o.Seen with { Stats = [.. o.Seen.Stats.SkipLast(1), last with { Stats = last.Stats with { Migrations = 3 } }] } };
        var v = Only(o, CheckProperties.OnePerQueueWithinTwoPeriods);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Be("tun_balance counts 3 migrations but mqtap saw 2 moves");
    }

    [Fact]
    public void Moving_a_flow_that_is_alone_on_its_queue_fails()
    {
        // 40001 was alone on q0 after 40003 left at 699 ms; pretend the module moved it to q3 at 1.5 s
        var o = WithSegments(Observe("l1_dynamic_spread4.txt", Dynamic("spread4")),
            s => s.Port == 40001 ? s with { LastSeq = 449, Frames = 450, LastUs = 1_498_000 } : s);
        o = o with { Seen = o.Seen with { Segments = [.. o.Seen.Segments, new FlowSegment(40001, 3, 450, 599, 150, 1_500_000, 1_797_876)] } };
        var v = Only(o, CheckProperties.LoneFlowNeverMoved);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("1 moves of a flow that was alone").And.Contain("40001 q0->q3 at 1500.0 ms: ALONE");
    }

    [Fact]
    public void A_move_of_a_flow_sharing_its_queue_is_allowed()
    {
        var v = Only(Observe("l1_dynamic_spread4.txt", Dynamic("spread4")), CheckProperties.LoneFlowNeverMoved);
        v.Evidence.Should().Contain(e => e.StartsWith("40003 q0->q2 at 699.0 ms: shared q0 with 40001", StringComparison.Ordinal));
    }

    [Fact]
    public void A_late_sender_within_the_design_extends_the_bound_by_the_lateness_it_measured()
    {
        var o = Observe("l1_dynamic_spread4.txt", Dynamic("spread4"));
        o = o with { Sent = o.Sent with { Flows = o.Sent.Flows.Select(f => f.Port == 40002 ? f with { MaxLateUs = 60_000 } : f).ToList() } };
        var v = Only(o, CheckProperties.OnePerQueueWithinTwoPeriods);
        v.Verdict.Should().Be(LabVerdicts.Pass, v.Message);
        v.Message.Should().Contain("bound 377.1 ms");
    }

    [Fact]
    public void A_starved_sender_makes_the_timing_properties_errors_not_verdicts()
    {
        var o = Observe("l1_dynamic_spread4.txt", Dynamic("spread4"));
        o = o with { Sent = o.Sent with { Flows = o.Sent.Flows.Select(f => f.Port == 40002 ? f with { MaxLateUs = 160_000 } : f).ToList() } };
        var verdicts = ScenarioAnalyzer.Judge(o);
        verdicts.Should().OnlyContain(v => v.Verdict == LabVerdicts.Error);
        verdicts[0].Message.Should().Contain("the sender was up to 160.0 ms late");
    }

    [Fact]
    public void Lost_datagrams_without_queue_changes_are_an_error()
    {
        var o = Observe("l1_dynamic_spread4.txt", Dynamic("spread4"));
        o = WithSegments(o, s => s.Port == 40002 ? s with { Frames = s.Frames - 3 } : s);
        ScenarioAnalyzer.Judge(o).Should().OnlyContain(v => v.Verdict == LabVerdicts.Error && v.Message.Contains("40002: 477 of 480 datagrams read"));
    }

    [Fact]
    public void A_kernel_warning_in_the_scenario_fails_every_property()
    {
        var o = Observe("l1_dynamic_spread4.txt", Dynamic("spread4")) with
        {
            Dmesg = ["[  61.100000] kmbq0 selects TX queue 3, but real number of TX queues is 3"],
        };
        var verdicts = ScenarioAnalyzer.Judge(o);
        verdicts.Should().OnlyContain(v => v.Verdict == LabVerdicts.Fail && v.Message.Contains("selects TX queue 3"));
    }

    // --- dynamic: converge ---

    [Fact]
    public void Loads_still_apart_after_settling_fail_converge()
    {
        var o = Observe("l1_dynamic_converge.txt", Dynamic("converge"));
        var stats = o.Seen.Stats.ToList();
        int i = stats.FindIndex(x => x.TimeUs > 1_400_000);
        var q = stats[i].Stats.Queues.ToList();
        q[3] = q[3] with { Load = q[0].Load - 30 };
        stats[i] = stats[i] with { Stats = stats[i].Stats with { Queues = q } };
        var v = Only(o with { Seen = o.Seen with { Stats = stats } }, CheckProperties.ConvergesWithinThreshold);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("still differ by more than 20");
    }

    [Fact]
    public void Migrations_after_settling_fail_converge()
    {
        var o = Observe("l1_dynamic_converge.txt", Dynamic("converge"));
        var stats = o.Seen.Stats.Select(x => x.TimeUs > 1_600_000 ? x with { Stats = x.Stats with { Migrations = x.Stats.Migrations + 1 } } : x).ToList();
        var v = Only(o with { Seen = o.Seen with { Stats = stats } }, CheckProperties.ConvergesWithinThreshold);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("still migrated flows after they settled");
    }

    [Fact]
    public void Converge_without_balance_stats_is_an_error()
    {
        var o = Observe("l1_dynamic_converge.txt", Dynamic("converge"));
        var v = Only(o with { Seen = o.Seen with { Stats = [] } }, CheckProperties.ConvergesWithinThreshold);
        v.Verdict.Should().Be(LabVerdicts.Error);
    }

    // --- both: queue changes ---

    [Fact]
    public void A_datagram_lost_outside_the_detach_windows_fails_requeue()
    {
        var o = Observe("l1_dynamic_requeue.txt", Dynamic("requeue"));
        o = o with { Seen = o.Seen with { Gaps = [new FlowGap(40001, 300, 300, 1_196_000, 1_204_000)] } };
        var v = Only(o, CheckProperties.QueueChangeSafe);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("1 datagrams lost outside the detach windows");
    }

    [Fact]
    public void A_datagram_purged_with_a_detached_ring_is_explained()
    {
        var o = Observe("l1_dynamic_requeue.txt", Dynamic("requeue"));
        // detach of slot 1 ran 602.9-607.0 ms; flow 40002 was on slot 1
        o = o with { Seen = o.Seen with { Gaps = [new FlowGap(40002, 150, 150, 598_000, 606_339)], TxDroppedAfter = 1 } };
        var v = Only(o, CheckProperties.QueueChangeSafe);
        v.Verdict.Should().Be(LabVerdicts.Pass, v.Message);
        v.Message.Should().Contain("1 purged with a detached ring, tx_dropped +1");
    }

    [Fact]
    public void More_drops_than_losses_fail_requeue()
    {
        var o = Observe("l1_hash_requeue.txt", Hash("requeue"));
        var v = Only(o with { Seen = o.Seen with { TxDroppedAfter = 4 } }, CheckProperties.QueueChangeSafe);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("tx_dropped rose by 4");
    }

    [Fact]
    public void A_refused_TUNSETQUEUE_fails_requeue()
    {
        var o = Observe("l1_hash_requeue.txt", Hash("requeue"));
        var events = o.Seen.Events.Select((e, i) => i == 2 ? e with { ReturnCode = -1, Errno = 22 } : e).ToList();
        var v = Only(o with { Seen = o.Seen with { Events = events } }, CheckProperties.QueueChangeSafe);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("TUNSETQUEUE attach of slot 1 failed (rc -1, errno 22");
    }

    [Fact]
    public void Reading_from_a_detached_queue_fails_requeue()
    {
        var o = Observe("host_requeue.txt", Hash("requeue"));
        var v = Only(o with { Seen = o.Seen with { DetachedReads = 2 } }, CheckProperties.QueueChangeSafe);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("2 frames read from a detached queue");
    }

    [Fact]
    public void A_flow_starved_after_the_queue_changes_fails_requeue()
    {
        var o = Observe("l1_dynamic_requeue.txt", Dynamic("requeue"));
        o = o with
        {
            Seen = o.Seen with
            {
                Segments = o.Seen.Segments.Where(s => !(s.Port == 40004 && s.FirstSeq == 373)).ToList(),
                Gaps = [new FlowGap(40004, 373, 599, 1_490_203, long.MaxValue)],
            },
        };
        var v = Only(o, CheckProperties.QueueChangeSafe);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("flow 40004 was not delivered after the last queue change");
    }

    [Fact]
    public void Selects_tx_queue_in_the_kernel_log_fails_requeue()
    {
        var o = Observe("l1_hash_requeue.txt", Hash("requeue")) with
        {
            Dmesg = ["[ 30.5] kmbq0 selects TX queue 2, but real number of TX queues is 2"],
        };
        var v = Only(o, CheckProperties.QueueChangeSafe);
        v.Verdict.Should().Be(LabVerdicts.Fail);
        v.Message.Should().Contain("selects TX queue 2");
    }

    [Fact]
    public void Kernel_log_problems_are_found()
    {
        ScenarioAnalyzer.KernelLogProblem(null).Should().BeNull();
        ScenarioAnalyzer.KernelLogProblem(["[ 1.0] IPv6: ADDRCONF(NETDEV_CHANGE): kmbq0: link becomes ready"]).Should().BeNull();
        ScenarioAnalyzer.KernelLogProblem(["[ 2.0] WARNING: CPU: 1 PID: 7 at net/core/dev.c:3200 x"]).Should().NotBeNull();
        ScenarioAnalyzer.KernelLogProblem(["[ 2.0] BUG: kernel NULL pointer dereference"]).Should().NotBeNull();
    }
}
