namespace KmodBalance.Generator.Output;

/// <summary>The commit message of each policy's patch: what it does and how to tune it.</summary>
public static class PolicyDescription
{
    public static string Subject(Policy policy) => policy switch
    {
        Policy.Hash => "tun: steer packets by flow hash only",
        Policy.Dynamic => "tun: balance flows across queues by load",
        Policy.Adaptive => "tun: balance flows across queues without reordering them",
        _ => throw new ArgumentOutOfRangeException(nameof(policy), "stock has no patch"),
    };

    public static string Message(Policy policy, Tunables tunables) => policy switch
    {
        Policy.Hash => """
            tun_select_queue() picks a queue from the queue the guest last sent a
            flow's packets on (automq) and falls back to the flow hash scaled to the
            queue count. Let a device use the scaled flow hash for every packet
            instead: the static baseline of Han Jang-won's 2013 thesis "Dynamic
            Packet Load Balancing Mechanism for Multi-queue Virtual Network
            Adapter", against which a dynamic policy is measured.

            /sys/kernel/debug/tun_balance lists the devices that balance.
            """ + "\n\n" + OptIn,
        Policy.Dynamic => $"""
            Static flow hashing lets several flows share a queue, and so one guest
            vCPU, while other queues stay idle: with 4 flows on 4 queues only 9.4%
            of hash draws give every flow its own queue.

            Add the dynamic flow balancer of Han Jang-won's 2013 thesis "Dynamic
            Packet Load Balancing Mechanism for Multi-queue Virtual Network
            Adapter". A new flow goes to the queue that carried the fewest segments
            in the last period (ties: fewest flows, then lowest index). Every
            period a remapper sorts the queues by load, pairs the i-th lightest
            with the i-th heaviest and, when their gap exceeds a threshold, moves
            the heavy queue's flows, heaviest first, while each is lighter than
            what is left of half the gap. Flows idle for a period are forgotten.
            A flow enters the table on its second packet in a period, so a flood
            of one-packet flows cannot keep real flows out; until then it is
            steered by hash, and its segments still count in its queue's load,
            as do XDP frames.

            Known flows are found under RCU and counted with atomic_add() in
            their own entry, so the packet path takes no lock; the remapper
            takes each count with atomic_xchg(), so a racing increment lands in
            one period or the next and is never carried over. New flows and the
            remapper (a deferrable timer that stops when no flow is left) take
            the balancer's spinlock, never with IRQs disabled (netpoll steers
            such packets by hash). Detaching a queue re-places the flows of both
            indexes that __tun_detach() swaps, once the packet paths have seen
            the new queue count. Flows are placed within real_num_tx_queues as
            well as numqueues, so a known flow's queue is tested against
            numqueues alone.

            /sys/kernel/debug/tun_balance shows, per balancing device, the
            flows, migrations and periods and, per queue, the last period's
            load and flows.

            Two module parameters tune it at run time:
              balance_threshold  load gap in segments per period (default {tunables.Threshold})
              balance_period_ms  remapper period in ms, {Tunables.MinPeriodMs}-{Tunables.MaxPeriodMs} (default {tunables.PeriodMs})
            """ + "\n\n" + OptIn,
        Policy.Adaptive => $"""
            automq keeps a flow on the queue the guest last sent it on, so flows
            whose guest sockets share a vCPU share a queue, and flows the guest
            never answers are hashed. Balancing by load alone (the dynamic policy)
            throws the guest's placement away, herds flows that open within one
            period onto the same queue, and moves flows whose packets still wait
            in the old ring, which reorders them.

            Add an adaptive balancer. A new flow starts on the queue the guest
            last sent it on (tun's flow table) unless that queue's load is more
            than 1/8 above the lightest estimate; otherwise on the queue its
            packets already go to (its hash queue) under the same condition, as
            a move costs a wait for the old ring; otherwise on the lightest.
            The estimate is the last period's load plus a mean flow's load for
            each flow already placed this period, so that flows opening
            together spread out. Every period the lightest queue not yet
            paired takes flows from the heaviest one that has a flow worth
            moving: one whose move lowers the larger of the two loads by at
            least 1/8 of the heavy load and by the threshold. A moved flow stays
            put for 4 periods. A move takes effect on the first packet that
            finds the old queue past the flow: its qdisc idle, and its ring
            holding neither the last skb of the flow found queued there nor
            the last one steered there (or, without those, empty), so no
            packet of the flow can overtake an earlier one. While a device
            balances, automq keeps learning the guest's queue of every flow.

            Admission on a flow's second packet in a period, untracked and XDP
            load, the lockless packet path for a known flow (one atomic_add()
            in the flow's entry), atomic_xchg() in the remapper, netpoll,
            detach and the statistics are as for the dynamic balancer.

            Two module parameters tune it at run time:
              balance_threshold  least load gap a move must close, in segments
                                 per period (default {tunables.Threshold})
              balance_period_ms  remapper period in ms, {Tunables.MinPeriodMs}-{Tunables.MaxPeriodMs} (default {tunables.PeriodMs})
            """ + "\n\n" + OptIn,
        _ => throw new ArgumentOutOfRangeException(nameof(policy), "stock has no patch"),
    };

    private const string OptIn = """
        Every device stays on automq until balancing is turned on: per device
        with /sys/class/net/DEV/balance, or for new devices with the module
        parameter balance_default. Turning it off frees the state and restores
        automq. Only devices created with IFF_MULTI_QUEUE can balance; writing
        1 for a single-queue device fails with EOPNOTSUPP (0 succeeds). While
        a device balances with hash or dynamic, automq's flow learning is
        skipped unless RFS is in use; the flow's hash is still saved for RFS.
        An eBPF steering program, when set, still takes precedence.
        """;
}
