using System.Globalization;

namespace KmodBalance.Harness.Check;

/// <summary>A run of a flow's datagrams on one queue (queue index as tun numbered it at the time).</summary>
public sealed record TrackSegment(int Queue, int Slot, long FirstSeq, long LastSeq, long Frames, long FirstUs, long LastUs);

/// <summary>A flow changed queue between its datagram sent at <paramref name="LastOldUs"/> (the last on
/// <paramref name="From"/>) and the one sent at <paramref name="FirstNewUs"/> (the first on
/// <paramref name="To"/>): the decision was made in between.</summary>
public sealed record FlowMoveSeen(int Port, int From, int To, long LastOldUs, long FirstNewUs);

/// <summary>One flow as mqtap saw it, in sequence order.</summary>
/// <param name="BeforeAdmission">Its first datagram when a fresh dynamic balancer steered it by hash
/// before admitting the flow with the second (BALANCER.md, "Admission"); not part of <paramref name="Segments"/>.</param>
public sealed record FlowTrack(FlowPlan Plan, IReadOnlyList<TrackSegment> Segments, TrackSegment? BeforeAdmission = null)
{
    public int Port => Plan.Port;
    public bool Seen => Segments.Count > 0;
    public int FirstQueue => Segments[0].Queue;
    public TrackSegment Final => Segments[^1];
    public long FirstUs => Segments[0].FirstUs;
    public long LastUs => Segments.Max(s => s.LastUs);

    public IEnumerable<FlowMoveSeen> Moves() =>
        Segments.Zip(Segments.Skip(1)).Where(p => p.First.Queue != p.Second.Queue)
            .Select(p => new FlowMoveSeen(Port, p.First.Queue, p.Second.Queue, p.First.LastUs, p.Second.FirstUs));

    /// <summary>Was this flow on <paramref name="queue"/> with a datagram sent in [from, to]?</summary>
    public bool OnQueueDuring(int queue, long fromUs, long toUs) =>
        Segments.Any(s => s.Queue == queue && s.FirstUs <= toUs && s.LastUs >= fromUs);

    /// <summary>"q0 #0-39 0.0-195.1 ms, q2 #40-239 ..."</summary>
    public string Describe() => string.Join(", ", Segments.Select(s => string.Create(CultureInfo.InvariantCulture,
        $"q{s.Queue} #{s.FirstSeq}-{s.LastSeq} {s.FirstUs / 1000.0:0.0}-{s.LastUs / 1000.0:0.0} ms")));
}

/// <summary>Joins the plan with mqtap's segments; slots are turned into tun's queue indexes with the
/// slot map in force when each run started. Where the scenario starts its flows paired on a fresh
/// dynamic balancer, a first segment holding datagram #0 alone, followed by one from #1, is the
/// hash-steered datagram before admission: it is set apart, not counted as a move.</summary>
public static class FlowTracks
{
    public static IReadOnlyList<FlowTrack> Build(CheckScenario scenario, MqtapReport seen) =>
        scenario.Flows.Select(plan =>
        {
            var segments = seen.SegmentsOf(plan.Port)
                .Select(s => new TrackSegment(seen.QueueOf(s.Slot, s.FirstUs), s.Slot, s.FirstSeq, s.LastSeq, s.Frames, s.FirstUs, s.LastUs))
                .ToList();
            if (scenario.FirstDatagramBeforeAdmission && segments is [{ FirstSeq: 0, LastSeq: 0 } first, { FirstSeq: 1 }, ..])
                return new FlowTrack(plan, segments[1..], first);
            return new FlowTrack(plan, segments);
        }).ToList();
}
