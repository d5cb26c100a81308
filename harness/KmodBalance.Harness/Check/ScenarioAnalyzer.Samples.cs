using KmodBalance.Harness.Measurement;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Check;

/// <summary>
/// Predictions taken from what the kernel showed, not from a schedule: L1's timers run late under
/// TCG, so where the remapper stood when flows arrived, and when it ran, are read from mqtap's
/// samples of /sys/kernel/debug/tun_balance (each sample is printed when the file changed, with
/// the last read that still showed the previous one, so a remap is placed in (PrevUs, TimeUs]).
/// </summary>
public static partial class ScenarioAnalyzer
{
    /// <summary>A remap seen in the samples: it ran in (<paramref name="AfterUs"/>, <paramref name="ByUs"/>].</summary>
    public sealed record RemapWindow(long AfterUs, long ByUs);

    /// <summary>
    /// The remaps the period counter shows, one per period, that certainly ran after <paramref name="fromUs"/>
    /// (one that may have run before is not counted: the bounds built on them only get later). Without
    /// mqtap's prev_us, a change lies between the sample that still showed the old state and this one.
    /// </summary>
    public static IReadOnlyList<RemapWindow> RemapsSeen(MqtapReport seen, long fromUs)
    {
        var remaps = new List<RemapWindow>();
        StatsSample? previous = null;
        foreach (var x in seen.Stats.Where(x => !x.Stats.Off))
        {
            if (previous is not null)
            {
                var window = new RemapWindow(x.PrevUs ?? previous.TimeUs, x.TimeUs);
                if (window.AfterUs >= fromUs)
                    for (var k = previous.Stats.Periods; k < x.Stats.Periods; k++)
                        remaps.Add(window);
            }
            previous = x;
        }
        return remaps;
    }

    /// <summary>
    /// Pure: BALANCER.md's mapper for <paramref name="count"/> new flows, one after the other: the
    /// queue with the least load in the last period, ties to fewer flows, then to the lower index.
    /// </summary>
    public static int[] Place(IReadOnlyList<long> lastLoad, long[] flowsOnQueue, int count)
    {
        var placed = new int[count];
        for (var i = 0; i < count; i++)
        {
            var best = 0;
            for (var q = 1; q < lastLoad.Count; q++)
                if (lastLoad[q] < lastLoad[best] || (lastLoad[q] == lastLoad[best] && flowsOnQueue[q] < flowsOnQueue[best]))
                    best = q;
            placed[i] = best;
            flowsOnQueue[best]++;
        }
        return placed;
    }

    /// <summary>
    /// The test flows' first queues against the mapper applied to the state the samples show when they
    /// were admitted: the last sample before the first of them. If a remap ran while they were being
    /// admitted (its window reaches back before the last admission), the first k saw the state before
    /// it and the rest the state it left (its sample, less the later flows themselves), for some k.
    /// Null when one of these predictions is what mqtap saw.
    /// </summary>
    private static (string Verdict, string Message)? PlacementFromSamples(ScenarioObservation o, IReadOnlyList<FlowTrack> tests, List<string> evidence)
    {
        var samples = o.Seen.Stats.Where(x => !x.Stats.Off && x.Stats.Queues.Count == o.Scenario.Queues).ToList();
        long start = tests.Min(t => t.BeforeAdmission?.FirstUs ?? t.FirstUs);
        long admitted = tests.Max(t => t.FirstUs);
        var before = samples.LastOrDefault(x => x.TimeUs <= start);
        if (before is null)
            return (LabVerdicts.Error, $"no balancer sample before the test flows started at {Ms(start)}: their placement cannot be predicted");
        var observed = tests.Select(t => t.FirstQueue).ToArray();
        var loads = before.Stats.Queues.Select(q => q.Load).ToList();
        var flows = before.Stats.Queues.Select(q => q.Flows).ToArray();
        var candidates = new List<(string From, int[] Queues)>
        {
            ($"the state sampled at {Ms(before.TimeUs)} (loads {string.Join(' ', loads)}, flows {string.Join(' ', flows)}, period {before.Stats.Periods})",
                Place(loads, [.. flows], tests.Count)),
        };
        var remapAt = samples.FindIndex(x => x.TimeUs > before.TimeUs && x.Stats.Periods > before.Stats.Periods);
        var remap = remapAt < 0 ? null : samples[remapAt];
        var remapAfter = remapAt < 0 ? 0 : remap!.PrevUs ?? samples[remapAt - 1].TimeUs;
        if (remap is not null && remapAfter < admitted)
        {
            // The remap dropped idle flows (and could have moved some): what it took away per queue is
            // what the state before plus the placements seen lacks in its sample. A negative count means
            // the placements seen contradict the kernel's own flow counts: no such split then.
            var afterLoads = remap.Stats.Queues.Select(q => q.Load).ToList();
            var dropped = remap.Stats.Queues.Select(q => flows[q.Queue] + observed.Count(x => x == q.Queue) - q.Flows).ToArray();
            for (var k = 0; k < tests.Count && dropped.All(d => d >= 0); k++)
            {
                var head = Place(loads, [.. flows], k);
                var after = flows.Select((f, q) => Math.Max(0, f + head.Count(x => x == q) - dropped[q])).ToArray();
                candidates.Add(($"a remap in ({Ms(remapAfter)}, {Ms(remap.TimeUs)}] after the first {k} (loads then {string.Join(' ', afterLoads)}, " +
                                $"flows {string.Join(' ', after)})", [.. head, .. Place(afterLoads, after, tests.Count - k)]));
            }
        }
        var match = candidates.FirstOrDefault(c => c.Queues.SequenceEqual(observed));
        string Show(int[] queues) => string.Join(", ", tests.Select((t, i) => $"{t.Port} q{queues[i]}"));
        if (match.Queues is not null)
        {
            evidence.Add($"placement {Show(observed)} as BALANCER.md's mapper predicts from {match.From}");
            return null;
        }
        foreach (var c in candidates) evidence.Add($"predicted from {c.From}: {Show(c.Queues)}");
        return (LabVerdicts.Fail, $"the mapper did not place the flows as BALANCER.md predicts from the state the kernel showed: " +
                                  $"placed {Show(observed)}, predicted {Show(candidates[0].Queues)} from {candidates[0].From}");
    }

    /// <summary>
    /// Latest send time of the first datagram on a flow's final queue if every move was decided by the
    /// <paramref name="remaps"/>-th remap after <paramref name="startUs"/> (seen in the samples): that
    /// remap's sample time, plus one datagram interval of the slowest flow and the lateness udpflows
    /// measured for the test flows (what the sender did, not what the design allows). Null when the
    /// samples show fewer remaps.
    /// </summary>
    private static long? BoundAfterRemaps(ScenarioObservation o, IReadOnlyList<FlowTrack> tests, long startUs, int remaps, List<string> evidence)
    {
        var seen = RemapsSeen(o.Seen, startUs);
        if (seen.Count < remaps) return null;
        var decided = seen[remaps - 1];
        long interval = 1_000_000L / tests.Min(t => t.Plan.Pps);
        long late = o.Sent.Flows.Where(f => tests.Any(t => t.Port == f.Port)).Select(f => f.MaxLateUs).DefaultIfEmpty(0).Max();
        evidence.Add($"remaps seen after the start in {string.Join(", ", seen.Take(remaps + 1).Select(x => $"({Ms(x.AfterUs)}, {Ms(x.ByUs)}]"))}; " +
                     $"remap {remaps} by {Ms(decided.ByUs)}, + {Ms(interval)} (a datagram interval) + {Ms(late)} (the sender's measured lateness)");
        return decided.ByUs + interval + late;
    }
}
