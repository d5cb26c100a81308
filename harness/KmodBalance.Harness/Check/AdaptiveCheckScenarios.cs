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
        Policy = Policy.Adaptive,
        Replies = [new(40001, 1)],
    };

    /// <summary>
    /// Two queues. The decoy W (250 pps, 50 packets per period) and a light decoy M (10 pps) start
    /// together on the fresh tap; the first two datagrams of every flow go out together, so each is
    /// admitted at once. At 600 ms the table holds W and M, so a mean flow weighs about half of W's
    /// load (BALANCER.md adaptive, place(): 26 against W's 50). The test flows A and B (250 pps)
    /// start at 600 and 602 ms: A goes to the queue without W (W's queue does not fit: 50 against
    /// about 0), and B finds W's queue at 50 or 52 against about 26 or 28 on A's, which does not
    /// fit either, whichever queue B's hash names: A and B share a queue while W runs (100 against
    /// 50 moves nothing: 50 + 50 + 20 &gt; 100). Which queue that is depends on the boot's hash seed
    /// (W starts on its hash queue); the judge reads it from the run. W stops at 1000 ms, M at
    /// 600 ms: once a remap sees W's queue lighter by more than a flow plus the threshold (max(20,
    /// 100 / 8)), exactly one of A and B moves there, and then 50 against 50 moves nothing. Which
    /// one moves depends on its packets in that period and on the hash seed: either is right. The
    /// flows run 2.2 s after W stops, far more than the 4 remaps of the hold. B starts half an
    /// interval after A: flows sent at the very same instants would leave the mover always finding
    /// the other's datagram just queued, and a move whose marks the reader takes before any is seen
    /// queued waits for an empty ring (no reorder, but no split either). Without M a mean flow would
    /// weigh all of W's load and B would find both queues equally loaded, so its hash queue would
    /// decide. Not with one queue: the core asks tun for a queue only when there are several.
    /// </summary>
    public static CheckScenario Split { get; } = new(
        "split",
        "two equal flows (250 pps) placed together on one queue while a decoy holds the other; the decoy stops: one of them must " +
        "move to the other queue, only once its queue holds none of its datagrams, and not move again",
        [new FlowPlan(40101, 10, 0, 7, FlowRole.Decoy), new FlowPlan(40102, 250, 0, 250, FlowRole.Decoy),
            new FlowPlan(40001, 250, 600, 650), new FlowPlan(40002, 250, 602, 650)],
        [],
        [AdaptiveProperties.EqualFlowsSplit, AdaptiveProperties.MoveKeepsSequence, AdaptiveProperties.NoMoveBackWithinHold],
        Queues: 2, PeriodMs: CheckScenarios.PeriodMs, Threshold: CheckScenarios.Threshold)
    {
        Policy = Policy.Adaptive,
        PairedStart = true,
    };

    public static IReadOnlyList<CheckScenario> All { get; } =
        [GuestQueue, Split, .. new[] { CheckScenarios.Requeue(dynamic: true), CheckScenarios.SingleQueue(dynamic: true), CheckScenarios.Netpoll(dynamic: true) }
            .Select(s => s with { Policy = Policy.Adaptive })];
}
