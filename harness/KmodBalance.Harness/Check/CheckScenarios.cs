namespace KmodBalance.Harness.Check;

/// <summary>
/// The scenarios of `kmb lab check`, designed so that docs/BALANCER.md predicts every decision that
/// matters whatever the boot's hash seed and the phase of the remap timer (see
/// README.md, "Deterministic check", for the reasoning; <see cref="ScenarioModel"/> replays each
/// design through the C# reference model over every timer phase, random flow hashes and sender stalls).
/// All dynamic scenarios use period P = 200 ms and threshold 20 packets per period.
/// </summary>
public static class CheckScenarios
{
    public const int PeriodMs = 200;
    public const uint Threshold = 20;

    /// <summary>Sender lateness allowed where no property depends on timing (sticky, requeue).</summary>
    public const int TimingFree = 1000;

    /// <summary>The scenarios judged for a policy: hash = sticky + requeue; dynamic = spread4,
    /// converge + requeue.</summary>
    public static IReadOnlyList<CheckScenario> For(string policy) => policy switch
    {
        "hash" => [Sticky, Requeue(dynamic: false)],
        "dynamic" => [Spread4, Converge, Requeue(dynamic: true)],
        _ => throw new ArgumentException($"`lab check` knows the policies hash and dynamic, not '{policy}'", nameof(policy)),
    };

    /// <summary>Decoys W0..W3 (200 pps) start together on the fresh tap, so the mapper puts them on
    /// queues 0..3 (all loads 0: fewest flows, then lowest index). W0 and W1 stop after 100 ms, W2 and
    /// W3 run until 600 ms. Some remap before 600 ms sees a whole period without W0/W1 (for any timer
    /// phase φ in (0, P]: the one at φ+P if φ ≥ 95 ms, else the one at φ+2P &lt; 500 ms): it drops them,
    /// so at 600 ms lastLoad is 0 on queues 0 and 1 and about 40 on queues 2 and 3.</summary>
    private static IEnumerable<FlowPlan> Decoys() =>
    [
        new(40101, 200, 0, 20, FlowRole.Decoy),
        new(40102, 200, 0, 20, FlowRole.Decoy),
        new(40103, 200, 0, 120, FlowRole.Decoy),
        new(40104, 200, 0, 120, FlowRole.Decoy),
    ];

    /// <summary>hash: 8 flows, 250 pps each for 1.2 s. Every datagram of a flow must be read from one
    /// queue (which one depends on the boot's hash seed; that it is one does not).</summary>
    public static CheckScenario Sticky { get; } = new(
        "sticky",
        "8 UDP flows at 250 pps for 1.2 s; every flow's datagrams must all arrive on one queue",
        [.. Enumerable.Range(0, 8).Select(i => new FlowPlan(40001 + i, 250, 0, 300))],
        [],
        [CheckProperties.OneQueuePerFlow],
        MaxSenderLateMs: TimingFree);

    /// <summary>
    /// dynamic, 4 flows on 4 queues. After the decoys (<see cref="Decoys"/>), test flows f1..f4
    /// (500, 400, 200, 200 pps) start together at 600 ms, in that order: lastLoad is 0 only on
    /// queues 0 and 1, so the mapper puts f1, f3 on queue 0 and f2, f4 on queue 1 (loads per period
    /// 100+40 and 80+40; queues 2, 3 get no test flow). Every remap can then only move the smaller
    /// flow of a loaded pair to an empty (or decoy) queue: a bigger flow is never below the budget
    /// (half the gap), queue 0 vs queue 1 never moves anything (f3 &lt; f1 - f2 - f4 and
    /// f4 &lt; f2 - f1 - f3 are both false), and lone decoys never move. The first full period after
    /// 600 ms (which ends at most 2 P after it) sees the decoys gone and moves f3 (40 &lt; 70) and
    /// f4 (40 &lt; 60) to queues 2 and 3, unless the partial period before did already. So by
    /// 600 ms + 2 P the flows are one per queue, and a lone flow is never moved again.
    /// </summary>
    public static CheckScenario Spread4 { get; } = new(
        "spread4",
        "decoys load queues 2 and 3; then 4 flows (500/400/200/200 pps) start together, are placed two and two " +
        "on queues 0 and 1, and must end up one per queue within two periods and stay there",
        [.. Decoys(),
            new(40001, 500, 600, 600), new(40002, 400, 600, 480), new(40003, 200, 600, 240), new(40004, 200, 600, 240)],
        [],
        [CheckProperties.OnePerQueueWithinTwoPeriods, CheckProperties.LoneFlowNeverMoved],
        PeriodMs: PeriodMs, Threshold: Threshold);

    /// <summary>
    /// dynamic, 6 flows on 4 queues. After the decoys, f1..f6 (400, 400, 200, 225, 150, 125 pps; per
    /// period 80, 80, 40, 45, 30, 25) start together at 600 ms and are placed f1, f3, f5 on queue 0
    /// and f2, f4, f6 on queue 1 (150 packets per period each, queues 2 and 3 empty: a spread of 150,
    /// far above the threshold 20). A full-period remap pairs each with an empty queue and, walking
    /// the heavy queue's flows largest first against the budget of half the gap (75), keeps f1 (80)
    /// and moves f3 (40) then f5 (30 &lt; 35), and keeps f2 and moves f4 (45) then f6 (25 &lt; 30):
    /// loads 80, 80, 70, 70, a spread of 10 within the threshold, where no pair differs by more than
    /// 20 and nothing moves again. If a partial period moved only part of that, the next full one
    /// completes it (the heavier unsplit queue pairs with the lightest). Converged within 3 periods
    /// (the model says within 2 P plus timer lateness).
    /// </summary>
    public static CheckScenario Converge { get; } = new(
        "converge",
        "decoys load queues 2 and 3; then 6 flows (400/400/200/225/150/125 pps) are placed three and three on queues 0 and 1 " +
        "and the per-queue loads must converge within the threshold (20 packets per period) and stay",
        [.. Decoys(),
            new(40001, 400, 600, 640), new(40002, 400, 600, 640), new(40003, 200, 600, 320),
            new(40004, 225, 600, 360), new(40005, 150, 600, 240), new(40006, 125, 600, 200)],
        [],
        [CheckProperties.ConvergesWithinThreshold, CheckProperties.LoneFlowNeverMoved],
        PeriodMs: PeriodMs, Threshold: Threshold);

    /// <summary>Converge is judged this many periods after the test flows start.</summary>
    public const int ConvergePeriods = 3;

    /// <summary>
    /// both policies: 6 flows at 250 pps for 2.4 s while mqtap detaches queue 1 (a middle queue: tun
    /// moves the last queue's file into its index), then the queue now numbered 2 (the last), then
    /// re-attaches both (each becomes the last queue): 4, 3, 2, 3, 4 queues.
    /// </summary>
    public static CheckScenario Requeue(bool dynamic) => new(
        "requeue",
        "6 flows at 250 pps for 2.4 s while queues are detached and re-attached (4 -> 3 -> 2 -> 3 -> 4 queues)",
        [.. Enumerable.Range(0, 6).Select(i => new FlowPlan(40001 + i, 250, 0, 600))],
        [new(QueueOp.Detach, 1, 600), new(QueueOp.Detach, 2, 1000), new(QueueOp.Attach, 1, 1400), new(QueueOp.Attach, 2, 1800)],
        [CheckProperties.QueueChangeSafe],
        PeriodMs: dynamic ? PeriodMs : null, Threshold: dynamic ? Threshold : null, MaxSenderLateMs: TimingFree);
}
