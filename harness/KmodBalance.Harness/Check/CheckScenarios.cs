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

    /// <summary>The scenarios judged for a policy: hash = sticky, requeue, optin, single-queue, netpoll;
    /// dynamic = spread4, converge, requeue, optin, flood, single-queue, netpoll. Each runs on a fresh
    /// tap; all but optin turn balancing on for it as soon as it exists (mqtap -B 1).</summary>
    public static IReadOnlyList<CheckScenario> For(Policy policy) => policy switch
    {
        Policy.Hash => [.. new[] { Sticky, Requeue(dynamic: false), OptIn(dynamic: false), SingleQueue(dynamic: false), Netpoll(dynamic: false) }
            .Select(s => s with { Policy = Policy.Hash })],
        Policy.Dynamic => [.. new[] { Spread4, Converge, Requeue(dynamic: true), OptIn(dynamic: true), Flood, SingleQueue(dynamic: true), Netpoll(dynamic: true) }
            .Select(s => s with { Policy = Policy.Dynamic })],
        Policy.Adaptive => AdaptiveCheckScenarios.All,
        _ => throw new ArgumentException($"`lab check` checks {PolicyNames.Listed(PolicyNames.Patched)}, not {policy.Name()}", nameof(policy)),
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
        PeriodMs: PeriodMs, Threshold: Threshold) { PairedStart = true };

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
        PeriodMs: PeriodMs, Threshold: Threshold) { PairedStart = true };

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
        PeriodMs: dynamic ? PeriodMs : null, Threshold: dynamic ? Threshold : null, MaxSenderLateMs: TimingFree) { PairedStart = dynamic };

    /// <summary>optin: balancing is switched on at this many ms after the first datagram, and off again at <see cref="OptInOffMs"/>.</summary>
    public const int OptInOnMs = 800;
    public const int OptInOffMs = 1600;

    /// <summary>
    /// both policies: balancing starts OFF on the tap (stock automq). 4 flows at 200 pps for 2.4 s;
    /// mqtap answers 40001 and 40002 like a guest, on the queue one and two after the one each first
    /// arrived on (every 100 ms while it reads them), so automq learns those queues; 40003 and 40004
    /// are never answered and keep their hash queue. At 800 ms mqtap turns balancing on (the flows are
    /// re-steered by the policy: hash = every flow on its hash queue, the one it had before any reply;
    /// dynamic = fresh state, each flow hash-steered until admitted by its next datagram, the k-th
    /// admitted on queue k-1, one per queue), at 1600 ms off again (automq's entries, not updated while
    /// balancing, are younger than its 3 s ageing: the answered flows return to their learnt queue at
    /// once). While off, every datagram must be on the queue the C# StockAutomq model predicts from the
    /// replies mqtap wrote; after the switch off the device must be gone from the statistics and the
    /// balancer count back to its value before.
    /// </summary>
    public static CheckScenario OptIn(bool dynamic) => new CheckScenario(
        "optin",
        "balancing off: 4 flows at 200 pps, two answered like a guest on other queues (automq learns them); " +
        $"balancing on at {OptInOnMs} ms, off again at {OptInOffMs} ms",
        [.. Enumerable.Range(0, 4).Select(i => new FlowPlan(40001 + i, 200, 0, 480))],
        [new(QueueOp.Balance, 1, OptInOnMs), new(QueueOp.Balance, 0, OptInOffMs)],
        [CheckProperties.OffSteersAsStock, CheckProperties.OnUnderTrafficBalances, CheckProperties.OffAgainFreesState],
        PeriodMs: dynamic ? PeriodMs : null, Threshold: dynamic ? Threshold : null, MaxSenderLateMs: TimingFree)
    {
        Balance = false,
        Replies = [new(40001, 1), new(40002, 2)],
    };

    /// <summary>flood: the paced flows run this long after the flood's last datagram.</summary>
    public const int FloodTailMs = 1400;

    /// <summary>flood: datagrams of the random-port flood.</summary>
    public const int FloodCount = 100_000;

    /// <summary>
    /// dynamic: 100,000 one-datagram flows from random ports, sent as fast as L1 can from the start,
    /// while 4 paced flows (500/450/400/350 pps, 100/90/80/70 segments per period) start 300 ms in,
    /// amid the flood, and run until 1.4 s after its last datagram. The tap has no qdisc, so every
    /// packet tun_select_queue() steers is either read by mqtap or counted in tx_dropped. Where the
    /// flood leaves the paced flows does not matter: two of them together always outweigh any one
    /// (70 + 80 &gt; 100), so a queue with two or more is the heaviest, pairs with an empty queue and
    /// gives away all but its biggest flow within the budget; replayed over all 256 placements the
    /// remapper reaches one per queue within 3 whole flood-free periods. The samples' "periods" counter
    /// shows how many whole periods without the flood the kernel ran before the flows ended.
    /// </summary>
    public static CheckScenario Flood { get; } = new(
        "flood",
        $"{FloodCount:N0} one-datagram random-port flows at L1's highest rate; 4 paced flows (500/450/400/350 pps) start amid it and run " +
        $"until {FloodTailMs} ms after it",
        [new(40001, 500, 300, 0, TailMs: FloodTailMs), new(40002, 450, 300, 0, TailMs: FloodTailMs),
            new(40003, 400, 300, 0, TailMs: FloodTailMs), new(40004, 350, 300, 0, TailMs: FloodTailMs)],
        [],
        [CheckProperties.FloodFlowsEndOnePerQueue, CheckProperties.FloodEveryPacketCounted],
        PeriodMs: PeriodMs, Threshold: Threshold, MaxSenderLateMs: TimingFree)
    {
        Flood = new(FloodCount, 0),
        NoQueue = true,
        IdleMs = 3 * PeriodMs + 100,
        TrafficBoundSeconds = 40,
    };

    /// <summary>flood: whole periods without the flood the remapper needs to reach one flow per queue from any placement.</summary>
    public const int FloodSettlePeriods = 3;

    /// <summary>
    /// both: a tap created WITHOUT IFF_MULTI_QUEUE (one queue) while balance_default is 1, and then
    /// balancing requested on it (mqtap -B 1). BALANCER.md: a single-queue device never gets a second
    /// queue, so the write fails with EOPNOTSUPP and balance_default leaves it alone; the attribute reads
    /// 0 and no state is allocated (so there is no remap timer either: it lives in the state). The tap
    /// never appears in /sys/kernel/debug/tun_balance and the "balancers" count stays at its value
    /// before the tap, while 2 flows run through it.
    /// </summary>
    public static CheckScenario SingleQueue(bool dynamic) => new CheckScenario(
        "single-queue",
        "a single-queue tap created with balance_default=1, then balance=1 written (refused) and at 400 ms balance=0 (taken): " +
        "2 flows at 250 pps for 0.8 s; no balancer state may appear",
        [new(40001, 250, 0, 200), new(40002, 250, 0, 200)],
        [new(QueueOp.Balance, 0, 400)],
        [CheckProperties.SingleQueueNoState],
        Queues: 1, PeriodMs: dynamic ? PeriodMs : null, Threshold: dynamic ? Threshold : null, MaxSenderLateMs: TimingFree)
    {
        SingleQueue = true,
        BalanceDefault = 1,
    };

    /// <summary>netpoll: netconsole's UDP port on 198.51.100.2 (a documentation address).</summary>
    public const int NetconsolePort = 6666;

    /// <summary>
    /// both: netconsole bound to the balancing 4-queue tap (198.51.100.1 -> 198.51.100.2:6666) while
    /// 150 lines are written to /dev/kmsg 10 ms apart and 4 flows run at 250 pps for 2 s. netpoll
    /// transmits with IRQs disabled, so tun_select_queue() must not take the balancer's lock: the
    /// netconsole flow is steered by hash (never admitted) and every line reaches one queue; the kernel
    /// log shows no WARN/BUG/lockup, the flows are all delivered (no hang).
    /// </summary>
    public static CheckScenario Netpoll(bool dynamic) => new CheckScenario(
        "netpoll",
        "netconsole on the balancing tap logs 150 lines while 4 flows at 250 pps run for 2 s",
        [.. Enumerable.Range(0, 4).Select(i => new FlowPlan(40001 + i, 250, 0, 500))],
        [],
        [CheckProperties.NetpollSafe],
        PeriodMs: dynamic ? PeriodMs : null, Threshold: dynamic ? Threshold : null, MaxSenderLateMs: TimingFree)
    {
        NetconsolePort = NetconsolePort,
        PairedStart = dynamic,
    };
}
