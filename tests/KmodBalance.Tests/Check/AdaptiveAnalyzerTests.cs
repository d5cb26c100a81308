using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Tests.Check;

/// <summary>
/// The judges of adaptive's own lab check scenarios on small records in mqtap's and udpflows'
/// format (Fixtures/check/adaptive): each passes as written, and each property fails, or says the
/// run cannot show it, once one thing in the record is changed.
/// </summary>
public sealed class AdaptiveAnalyzerTests
{
    private static ScenarioObservation Observe(string fixture, CheckScenario scenario) =>
        ScenarioAnalyzerTests.Observe(Path.Combine("adaptive", fixture), scenario);

    private static ScenarioObservation GuestQueue() => Observe("guest_queue.txt", AdaptiveCheckScenarios.GuestQueue);

    private static ScenarioObservation Split() => Observe("split.txt", AdaptiveCheckScenarios.Split);

    private static PropertyVerdict Only(ScenarioObservation o, string property) =>
        ScenarioAnalyzer.Judge(o).Single(v => v.Property == property);

    private static ScenarioObservation WithSegments(ScenarioObservation o, params FlowSegment[] segments) =>
        o with { Seen = o.Seen with { Segments = segments } };

    private static ScenarioObservation WithMigrations(ScenarioObservation o, long migrations) =>
        o with { Seen = o.Seen with { Stats = [.. o.Seen.Stats.Select(x => x with { Stats = x.Stats with { Migrations = migrations } })] } };

    [Fact]
    public void Adaptive_check_runs_its_own_scenarios_before_the_integration_ones()
    {
        CheckScenarios.For(Policy.Adaptive).Select(s => s.Name).Should().Equal("guest-queue", "split", "requeue", "single-queue", "netpoll");
        CheckScenarios.For(Policy.Adaptive).Should().OnlyContain(s => s.Policy == Policy.Adaptive);
    }

    [Theory]
    [InlineData("l1_guest_queue.txt", "guest-queue")]
    [InlineData("l1_split.txt", "split")]
    public void Runs_captured_in_L1_pass_every_property(string fixture, string scenario)
    {
        var verdicts = ScenarioAnalyzer.Judge(Observe(fixture, AdaptiveCheckScenarios.All.Single(s => s.Name == scenario)));
        verdicts.Should().OnlyContain(v => v.Verdict == LabVerdicts.Pass, string.Join("; ", verdicts.Select(v => v.Message)));
    }

    [Fact]
    public void A_first_placement_away_from_the_hash_queue_is_not_the_remappers_move()
    {
        // captured: 40002's first datagram went to its hash queue 1, the decoy's, which did not fit,
        // so placement put it on queue 0 beside 40001 (hash queue 0); once the decoy stopped the
        // remapper moved 40001 to queue 1
        var v = Only(Observe("l1_split.txt", AdaptiveCheckScenarios.Split), AdaptiveProperties.EqualFlowsSplit);
        v.Message.Should().Contain("flow 40001 moved q0 -> q1").And.Contain("flow 40002 stayed on q0");
    }

    // --- guest-queue ---

    [Fact]
    public void A_flow_that_moves_from_its_hash_queue_to_the_guests_queue_and_stays_passes()
    {
        var v = Only(GuestQueue(), AdaptiveProperties.GuestQueueKept);
        v.Verdict.Should().Be(LabVerdicts.Pass, v.Message);
        v.Message.Should().Contain("guest's queue q3").And.Contain("hash queue q2");
    }

    [Fact]
    public void A_flow_that_leaves_the_guests_queue_fails()
    {
        var o = WithSegments(GuestQueue(),
            new FlowSegment(40001, 2, 0, 0, 1, 0, 0),
            new FlowSegment(40001, 3, 1, 9, 9, 100_000, 900_000),
            new FlowSegment(40001, 0, 10, 15, 6, 1_000_000, 1_500_000));
        Only(o, AdaptiveProperties.GuestQueueKept).Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void A_flow_placed_elsewhere_than_the_guests_queue_fails()
    {
        var o = WithSegments(GuestQueue(), new FlowSegment(40001, 2, 0, 0, 1, 0, 0), new FlowSegment(40001, 0, 1, 15, 15, 100_000, 1_500_000));
        Only(o, AdaptiveProperties.GuestQueueKept).Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void A_remapper_move_of_the_lone_flow_fails()
    {
        Only(WithMigrations(GuestQueue(), 1), AdaptiveProperties.GuestQueueKept).Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void An_answer_written_too_late_to_precede_the_admission_cannot_show_the_property()
    {
        // the second datagram left from 100 ms - 3 ms (the sender's lateness) on
        var o = GuestQueue();
        o = o with { Seen = o.Seen with { Replies = [o.Seen.Replies[0] with { BeginUs = 96_000, EndUs = 97_500 }] } };
        Only(o, AdaptiveProperties.GuestQueueKept).Verdict.Should().Be(LabVerdicts.Error);
        o = o with { Seen = o.Seen with { Replies = [] } };
        Only(o, AdaptiveProperties.GuestQueueKept).Verdict.Should().Be(LabVerdicts.Error);
    }

    // --- split ---

    [Fact]
    public void One_of_two_equal_flows_moving_once_in_sequence_passes_every_property()
    {
        var verdicts = ScenarioAnalyzer.Judge(Split());
        verdicts.Should().HaveCount(3);
        verdicts.Should().OnlyContain(v => v.Verdict == LabVerdicts.Pass, string.Join("; ", verdicts.Select(v => v.Message)));
        Only(Split(), AdaptiveProperties.EqualFlowsSplit).Message.Should().Contain("flow 40001 moved q0 -> q1").And.Contain("flow 40002 stayed on q0");
    }

    [Fact]
    public void Flows_placed_apart_cannot_show_the_split()
    {
        var o = WithSegments(Split(), new FlowSegment(40101, 0, 0, 6, 7, 0, 600_000), new FlowSegment(40102, 1, 0, 249, 250, 1, 996_000),
            new FlowSegment(40001, 0, 0, 649, 650, 600_000, 3_196_000), new FlowSegment(40002, 1, 0, 649, 650, 602_000, 3_198_000));
        Only(o, AdaptiveProperties.EqualFlowsSplit).Verdict.Should().Be(LabVerdicts.Error);
    }

    [Fact]
    public void A_moved_flow_read_out_of_sequence_fails()
    {
        var o = Split();
        o = o with { Seen = o.Seen with { Flows = [.. o.Seen.Flows.Select(f => f.Port == 40001 ? f with { Reordered = 12 } : f)] } };
        Only(o, AdaptiveProperties.MoveKeepsSequence).Verdict.Should().Be(LabVerdicts.Fail);
        o = o with { Seen = o.Seen with { Flows = [.. o.Seen.Flows.Select(f => f with { Reordered = null })] } };
        Only(o, AdaptiveProperties.MoveKeepsSequence).Verdict.Should().Be(LabVerdicts.Error, "an mqtap that does not count them shows nothing");
    }

    [Fact]
    public void Neither_or_both_flows_moving_fails_the_split()
    {
        var decoys = new[] { new FlowSegment(40101, 0, 0, 6, 7, 0, 600_000), new FlowSegment(40102, 1, 0, 249, 250, 1, 996_000) };
        var stay = new FlowSegment(40002, 0, 0, 649, 650, 602_000, 3_198_000);
        var none = WithSegments(Split(), [.. decoys, new FlowSegment(40001, 0, 0, 649, 650, 600_000, 3_196_000), stay]);
        Only(none, AdaptiveProperties.EqualFlowsSplit).Verdict.Should().Be(LabVerdicts.Fail);
        Only(none, AdaptiveProperties.MoveKeepsSequence).Verdict.Should().Be(LabVerdicts.Error);

        var both = WithSegments(Split(), [.. decoys,
            new FlowSegment(40001, 0, 0, 137, 138, 600_000, 1_148_000), new FlowSegment(40001, 1, 138, 649, 512, 1_152_000, 3_196_000),
            new FlowSegment(40002, 0, 0, 137, 138, 602_000, 1_150_000), new FlowSegment(40002, 1, 138, 649, 512, 1_154_000, 3_198_000)]);
        Only(both, AdaptiveProperties.EqualFlowsSplit).Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void A_migration_count_other_than_the_one_move_seen_fails_the_split()
    {
        Only(WithMigrations(Split(), 2), AdaptiveProperties.EqualFlowsSplit).Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void A_flow_moving_back_fails_the_hold()
    {
        var o = WithSegments(Split(), new FlowSegment(40101, 0, 0, 6, 7, 0, 600_000), new FlowSegment(40102, 1, 0, 249, 250, 1, 996_000),
            new FlowSegment(40001, 0, 0, 137, 138, 600_000, 1_148_000), new FlowSegment(40001, 1, 138, 249, 112, 1_152_000, 1_596_000),
            new FlowSegment(40001, 0, 250, 649, 400, 1_600_000, 3_196_000),
            new FlowSegment(40002, 0, 0, 649, 650, 602_000, 3_198_000));
        Only(o, AdaptiveProperties.NoMoveBackWithinHold).Verdict.Should().Be(LabVerdicts.Fail);
    }

    [Fact]
    public void Fewer_remaps_after_the_move_than_the_hold_cannot_show_it()
    {
        var o = Split();
        o = o with { Seen = o.Seen with { Stats = [.. o.Seen.Stats.Where(x => x.TimeUs < 1_800_000)] } };
        Only(o, AdaptiveProperties.NoMoveBackWithinHold).Verdict.Should().Be(LabVerdicts.Error);
    }

    [Fact]
    public void A_lost_datagram_makes_the_split_unjudgeable()
    {
        var o = Split();
        o = o with { Seen = o.Seen with { Flows = [.. o.Seen.Flows.Select(f => f.Port == 40002 ? f with { Frames = 649, Gaps = 1 } : f)] } };
        ScenarioAnalyzer.Judge(o).Should().OnlyContain(v => v.Verdict == LabVerdicts.Error);
    }
}
