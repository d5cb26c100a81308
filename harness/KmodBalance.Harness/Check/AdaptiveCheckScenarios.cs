namespace KmodBalance.Harness.Check;

/// <summary>The properties of adaptive's own decisions that `kmb lab check --policy adaptive` judges.</summary>
public static class AdaptiveProperties
{
    /// <summary>guest-queue: a flow the guest answered on a queue before it was admitted starts there and stays.</summary>
    public const string GuestQueueKept = "flow-starts-on-the-guests-queue-and-stays";
    /// <summary>split: two equal flows sharing the only queue split once a second queue attaches.</summary>
    public const string EqualFlowsSplit = "two-equal-flows-on-one-queue-split";
    /// <summary>split: the moved flow's datagrams are read in sequence (the move waited for the old queue).</summary>
    public const string MoveKeepsSequence = "moved-flow-never-out-of-sequence";
    /// <summary>split: a moved flow does not move again within the hold (4 remaps).</summary>
    public const string NoMoveBackWithinHold = "no-move-back-within-the-hold";

    public static IReadOnlyList<string> All { get; } = [GuestQueueKept, EqualFlowsSplit, MoveKeepsSequence, NoMoveBackWithinHold];

    /// <summary>Remaps after a move during which the moved flow may not move again (BALANCER.md's hold).</summary>
    public const int HoldRemaps = 4;
}

/// <summary>
/// The scenarios of `kmb lab check --policy adaptive`: adaptive's own decisions in the real kernel
/// (guest-queue, split), then the kernel-integration properties every balancing policy keeps
/// (queues detached and re-attached under traffic, no state for a single-queue tap, netconsole with
/// IRQs disabled), all with dynamic's period and threshold. The taps keep their default qdisc, so a
/// move also waits for what the qdisc holds (BALANCER.md, adaptive, *Queue drain*).
/// </summary>
public static class AdaptiveCheckScenarios
{
    /// <summary>guest-queue: the flow's datagram interval; the guest's answer to its first datagram
    /// must be written within it for the flow's admission (its second datagram: the remap timer does
    /// not run before a first flow is admitted, so nothing clears its admission bit) to see it.</summary>
    public const int GuestFlowPps = 10;

    /// <summary>
    /// One flow at 10 pps for 1.6 s on a fresh 4-queue tap; mqtap answers it like a guest on the
    /// file after the one its first datagram arrived on, as soon as it reads that datagram (and every
    /// 100 ms after), so automq learns that queue 100 ms before the flow's second datagram admits it.
    /// All loads are 0, so BALANCER.md's place() takes the guest's queue; the first datagram went to
    /// the hash queue, so the flow switches once that ring (and qdisc) let it go, and then stays: a
    /// lone flow never moves.
    /// </summary>
    public static CheckScenario GuestQueue { get; } = new(
        "guest-queue",
        "one flow at 10 pps answered like a guest on the queue after its hash queue before it is admitted: " +
        "it must move to that queue and stay there",
        [new FlowPlan(40001, GuestFlowPps, 0, 16)],
        [],
        [AdaptiveProperties.GuestQueueKept],
        PeriodMs: CheckScenarios.PeriodMs, Threshold: CheckScenarios.Threshold)
    {
        Policy = "adaptive",
        Replies = [new(40001, 1)],
    };

    /// <summary>split: when mqtap attaches the second queue, in ms after the decoy's first datagram.</summary>
    public const int SplitAttachMs = 1000;

    /// <summary>
    /// A decoy starts mqtap's clock; mqtap then detaches three of the four queues, so the test flows
    /// A and B (250 pps each, 50 packets per period) start on the only queue. At 1000 ms a second
    /// queue attaches: the next remap sees 100 on queue 0 and 0 on queue 1 and moves exactly one of
    /// them (the threshold is max(20, 100 / 8) = 20; 0 + 50 + 20 &lt;= 100, then 50 + 50 + 20 &gt; 50);
    /// the flows run 1.8 s after the attach, more than the 4 remaps of the hold. Which of the two
    /// moves depends on the packets each had in that period and on the boot's hash seed: either is
    /// right. B starts half an interval after A: flows sent at the very same instants would leave the
    /// mover always finding the other's datagram just queued, and a move whose first mark the reader
    /// took before any of its packets was seen queued waits for an empty ring (no reorder, but no
    /// split either: BALANCER.md's known cost).
    /// </summary>
    public static CheckScenario Split { get; } = new(
        "split",
        "two equal flows (250 pps) share the only queue; a second queue attaches: one of them must move to it, " +
        "only once queue 0 holds none of its datagrams, and not move again",
        [new FlowPlan(40100, 100, 0, 10, FlowRole.Decoy), new FlowPlan(40001, 250, 400, 700), new FlowPlan(40002, 250, 402, 700)],
        [new(QueueOp.Detach, 1, 150), new(QueueOp.Detach, 2, 200), new(QueueOp.Detach, 3, 250), new(QueueOp.Attach, 1, SplitAttachMs)],
        [AdaptiveProperties.EqualFlowsSplit, AdaptiveProperties.MoveKeepsSequence, AdaptiveProperties.NoMoveBackWithinHold],
        PeriodMs: CheckScenarios.PeriodMs, Threshold: CheckScenarios.Threshold)
    {
        Policy = "adaptive",
        PairedStart = true,
    };

    public static IReadOnlyList<CheckScenario> All { get; } =
        [GuestQueue, Split, .. new[] { CheckScenarios.Requeue(dynamic: true), CheckScenarios.SingleQueue(dynamic: true), CheckScenarios.Netpoll(dynamic: true) }
            .Select(s => s with { Policy = "adaptive" })];
}
