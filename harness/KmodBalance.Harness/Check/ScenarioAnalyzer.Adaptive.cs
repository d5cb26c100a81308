using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Check;

/// <summary>
/// adaptive's own decisions (AdaptiveCheckScenarios), judged from what mqtap read and sampled:
/// where the guest's answer went and when it was written, the remaps the
/// period counter shows, each flow's runs per queue and mqtap's own count of datagrams read after a
/// later one of their flow. No property rests on when a timer was meant to fire.
/// </summary>
public static partial class ScenarioAnalyzer
{
    private static PropertyVerdict JudgeAdaptive(string property, ScenarioObservation o, IReadOnlyList<FlowTrack> tracks) => property switch
    {
        AdaptiveProperties.GuestQueueKept => GuestQueueKept(o, tracks),
        AdaptiveProperties.EqualFlowsSplit => EqualFlowsSplit(o, tracks),
        AdaptiveProperties.MoveKeepsSequence => MoveKeepsSequence(o, tracks),
        AdaptiveProperties.NoMoveBackWithinHold => NoMoveBackWithinHold(o, tracks),
        _ => throw new ArgumentException($"unknown adaptive property {property}", nameof(property)),
    };

    /// <summary>
    /// The flow was answered on queue g (the reply's file, as tun numbered it then) before its second
    /// datagram, which admits it, was sent: BALANCER.md's place() takes g (all loads are 0). Its
    /// datagrams may stay on their hash queue (where the first went) until that queue lets them go,
    /// then all are on g to the end, and the remapper moved nothing.
    /// </summary>
    private static PropertyVerdict GuestQueueKept(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        const string property = AdaptiveProperties.GuestQueueKept;
        var name = o.Scenario.Name;
        var flow = tracks.Single(t => t.Plan.Role == FlowRole.Test);
        var evidence = new List<string> { $"flow {flow.Port}: {(flow.Seen ? flow.Describe() : "never read")}" };
        var reply = o.Seen.Replies.Where(r => r.Port == flow.Port).OrderBy(r => r.BeginUs).FirstOrDefault();
        var sent = o.Sent.Flows.FirstOrDefault(f => f.Port == flow.Port);
        if (!flow.Seen || sent is null)
            return new(name, property, LabVerdicts.Error, $"flow {flow.Port} was not sent and read", evidence);
        if (reply is null || reply.ReturnCode != 0)
            return new(name, property, LabVerdicts.Error, $"mqtap did not answer flow {flow.Port} like a guest: automq had nothing to learn", evidence);
        int guest = o.Seen.QueueOf(reply.Slot, reply.EndUs);
        // the second datagram left at least one interval after the first, less what the sender ran late
        long secondFrom = flow.FirstUs + 1_000_000L / flow.Plan.Pps - sent.MaxLateUs;
        evidence.Add($"the guest's answer on file {reply.Slot} (q{guest}) written in ({Ms(reply.BeginUs)}, {Ms(reply.EndUs)}]; " +
                     $"the flow's second datagram sent from {Ms(secondFrom)} on (its first at {Ms(flow.FirstUs)}, the sender up to {Ms(sent.MaxLateUs)} late)");
        if (reply.EndUs >= secondFrom)
            return new(name, property, LabVerdicts.Error,
                $"the guest's answer (written by {Ms(reply.EndUs)}) may not have preceded the flow's admission (its second datagram, from {Ms(secondFrom)} on)", evidence);

        int hashQueue = flow.FirstQueue;
        int reached = flow.Segments.ToList().FindIndex(x => x.Queue == guest);
        if (reached < 0)
            return new(name, property, LabVerdicts.Fail, $"flow {flow.Port} never reached the guest's queue q{guest}: {flow.Describe()}", evidence);
        if (flow.Segments.Take(reached).Any(x => x.Queue != hashQueue))
            return new(name, property, LabVerdicts.Fail, $"flow {flow.Port} went through a third queue before the guest's q{guest}: {flow.Describe()}", evidence);
        var left = flow.Segments.Skip(reached).FirstOrDefault(x => x.Queue != guest);
        if (left is not null)
            return new(name, property, LabVerdicts.Fail,
                $"flow {flow.Port} left the guest's queue q{guest} for q{left.Queue} with datagram #{left.FirstSeq} at {Ms(left.FirstUs)}", evidence);
        long migrations = o.Seen.Stats.Where(x => !x.Stats.Off).Select(x => x.Stats.Migrations).DefaultIfEmpty(0).Max();
        evidence.Add($"module migrations {migrations}");
        if (migrations != 0)
            return new(name, property, LabVerdicts.Fail, $"the remapper moved {migrations} flow(s) although the flow was alone on its queue", evidence);
        var first = flow.Segments[reached];
        return new(name, property, LabVerdicts.Pass,
            $"placed on the guest's queue q{guest} (its first datagram went to its hash queue q{hashQueue}); on q{guest} from datagram " +
            $"#{first.FirstSeq} at {Ms(first.FirstUs)} to its last, #{flow.Final.LastSeq}", evidence);
    }

    /// <summary>What the split scenario shows, shared by its three properties (null Problem: it can be judged).
    /// <paramref name="DecoyEndUs"/>: the last decoy datagram; a test flow's queue changes before it are its first
    /// placement (its first datagrams went to its hash queue), those after it the remapper's.</summary>
    private sealed record SplitRun(IReadOnlyList<FlowTrack> Tests, long DecoyEndUs, string? Problem, List<string> Evidence)
    {
        /// <summary>The queue the flow's datagram sent at <paramref name="us"/> (or the last one before) went to.</summary>
        public static int QueueAt(FlowTrack t, long us) => (t.Segments.LastOrDefault(x => x.FirstUs <= us) ?? t.Segments[0]).Queue;

        public static IReadOnlyList<FlowMoveSeen> MovesAfter(FlowTrack t, long us) => [.. t.Moves().Where(m => m.FirstNewUs > us)];
    }

    private static SplitRun ReadSplit(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        var tests = tracks.Where(t => t.Plan.Role == FlowRole.Test).ToList();
        var evidence = tests.Select(t => $"flow {t.Port}: {(t.Seen ? t.Describe() : "never read")}").ToList();
        long decoyEnd = tracks.Where(t => t.Plan.Role == FlowRole.Decoy && t.Seen).Select(t => t.LastUs).DefaultIfEmpty(0).Max();
        evidence.Add($"the last decoy datagram sent at {Ms(decoyEnd)}");
        foreach (var t in tests)
        {
            var read = o.Seen.Flows.FirstOrDefault(f => f.Port == t.Port);
            if (read is null || read.Frames != t.Plan.Count || read.Gaps != 0)
                return new(tests, decoyEnd, $"flow {t.Port}: {read?.Frames ?? 0} of {t.Plan.Count} datagrams read ({read?.Gaps ?? 0} gaps): " +
                                            "a lost datagram could hide one read out of sequence", evidence);
            if (t.FirstUs >= decoyEnd)
                return new(tests, decoyEnd, $"flow {t.Port} started after the decoys had stopped", evidence);
        }
        return new(tests, decoyEnd, null, evidence);
    }

    /// <summary>
    /// While the decoy runs, the two flows share one queue once placed (their first datagrams may
    /// sit on their hash queue until it lets them go; if the samples' state let the mapper put them
    /// apart, the run cannot show the split); after the decoy's last datagram exactly one of them
    /// changes queue, once, to the other queue, the other stays, and the module counted exactly that
    /// one migration (a first placement is not one).
    /// </summary>
    private static PropertyVerdict EqualFlowsSplit(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        const string property = AdaptiveProperties.EqualFlowsSplit;
        var name = o.Scenario.Name;
        var run = ReadSplit(o, tracks);
        if (run.Problem is not null)
            return new(name, property, LabVerdicts.Error, "the run cannot show the split: " + run.Problem, run.Evidence);
        int shared = SplitRun.QueueAt(run.Tests[0], run.DecoyEndUs);
        if (run.Tests.Any(t => SplitRun.QueueAt(t, run.DecoyEndUs) != shared))
            return new(name, property, LabVerdicts.Error,
                $"the flows were placed apart ({string.Join(", ", run.Tests.Select(t => $"{t.Port} q{SplitRun.QueueAt(t, run.DecoyEndUs)}"))} " +
                $"when the decoy stopped): the state at their admissions was not the one the scenario sets up, so there was nothing to split", run.Evidence);
        long migrations = o.Seen.Stats.Where(x => !x.Stats.Off).Select(x => x.Stats.Migrations).DefaultIfEmpty(0).Max();
        long start = run.Tests.Min(t => t.FirstUs);
        var remaps = RemapsSeen(o.Seen, start);
        run.Evidence.Add($"module migrations {migrations}; remaps seen after the flows started: {remaps.Count}");
        var moved = run.Tests.Where(t => SplitRun.MovesAfter(t, run.DecoyEndUs).Count > 0).ToList();
        if (moved.Count != 1)
            return new(name, property, LabVerdicts.Fail,
                moved.Count == 0
                    ? $"neither flow left q{shared} in the {remaps.Count} remaps seen after they started"
                    : $"both flows changed queue after the decoy stopped: {string.Join("; ", moved.Select(t => $"{t.Port} {t.Describe()}"))}", run.Evidence);
        var flow = moved[0];
        var move = SplitRun.MovesAfter(flow, run.DecoyEndUs)[0];
        if (SplitRun.MovesAfter(flow, run.DecoyEndUs).Count != 1 || move.From != shared || move.To == shared)
            return new(name, property, LabVerdicts.Fail, $"flow {flow.Port} did not move once away from the shared q{shared}: {flow.Describe()}", run.Evidence);
        if (migrations != 1)
            return new(name, property, LabVerdicts.Fail, $"the module counted {migrations} migrations for the one move seen", run.Evidence);
        var stayed = run.Tests.Single(t => t != flow);
        return new(name, property, LabVerdicts.Pass,
            $"flow {flow.Port} moved q{move.From} -> q{move.To} (last on q{move.From} at {Ms(move.LastOldUs)}, first on q{move.To} at " +
            $"{Ms(move.FirstNewUs)}); flow {stayed.Port} stayed on q{shared}", run.Evidence);
    }

    /// <summary>
    /// The moved flow's datagrams on the old queue all precede those on the new one, and mqtap read
    /// none of them after a later datagram of the flow (its count of such datagrams is 0).
    /// </summary>
    private static PropertyVerdict MoveKeepsSequence(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        const string property = AdaptiveProperties.MoveKeepsSequence;
        var name = o.Scenario.Name;
        var run = ReadSplit(o, tracks);
        if (run.Problem is not null)
            return new(name, property, LabVerdicts.Error, "the run cannot show the order: " + run.Problem, run.Evidence);
        var moved = run.Tests.Where(t => t.Moves().Any()).ToList();
        if (moved.Count == 0)
            return new(name, property, LabVerdicts.Error, "no flow moved, so no move could reorder one", run.Evidence);
        foreach (var flow in moved)
        {
            var read = o.Seen.Flows.First(f => f.Port == flow.Port);
            if (read.Reordered is not { } reordered)
                return new(name, property, LabVerdicts.Error, "mqtap did not count datagrams read out of sequence", run.Evidence);
            run.Evidence.Add($"flow {flow.Port}: {read.Frames} datagrams read, {reordered} after a later one of the flow");
            if (reordered != 0)
                return new(name, property, LabVerdicts.Fail,
                    $"flow {flow.Port} moved before queue 0 let go of it: {reordered} of its datagrams were read after a later one ({flow.Describe()})", run.Evidence);
        }
        return new(name, property, LabVerdicts.Pass,
            $"{string.Join(", ", moved.Select(t => t.Port))}: every datagram read, in sequence, across the move", run.Evidence);
    }

    /// <summary>
    /// A moved flow changes queue only once while the samples show at least the hold's 4 remaps after
    /// its move (fewer remaps before the flows ended: the run cannot show the hold).
    /// </summary>
    private static PropertyVerdict NoMoveBackWithinHold(ScenarioObservation o, IReadOnlyList<FlowTrack> tracks)
    {
        const string property = AdaptiveProperties.NoMoveBackWithinHold;
        var name = o.Scenario.Name;
        var run = ReadSplit(o, tracks);
        if (run.Problem is not null)
            return new(name, property, LabVerdicts.Error, "the run cannot show the hold: " + run.Problem, run.Evidence);
        var moved = run.Tests.Where(t => SplitRun.MovesAfter(t, run.DecoyEndUs).Count > 0).ToList();
        if (moved.Count == 0)
            return new(name, property, LabVerdicts.Error, "no flow moved, so none could move back", run.Evidence);
        foreach (var flow in moved)
        {
            var moves = SplitRun.MovesAfter(flow, run.DecoyEndUs);
            var first = moves[0];
            var after = RemapsSeen(o.Seen, first.FirstNewUs).Count(r => r.ByUs <= flow.LastUs);
            run.Evidence.Add($"flow {flow.Port}: {moves.Count} queue change(s); {after} remaps seen between its move and its last datagram");
            if (moves.Count > 1)
                return new(name, property, LabVerdicts.Fail,
                    $"flow {flow.Port} moved again, q{moves[1].From} -> q{moves[1].To} at {Ms(moves[1].FirstNewUs)}, after its move at {Ms(first.FirstNewUs)}", run.Evidence);
            if (after < AdaptiveProperties.HoldRemaps)
                return new(name, property, LabVerdicts.Error,
                    $"flow {flow.Port} ended {after} remaps after its move, fewer than the hold's {AdaptiveProperties.HoldRemaps}", run.Evidence);
        }
        return new(name, property, LabVerdicts.Pass,
            $"{string.Join(", ", moved.Select(t => t.Port))}: one move each, none again in the remaps seen after it (the hold is {AdaptiveProperties.HoldRemaps})", run.Evidence);
    }
}
