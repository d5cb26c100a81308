namespace KmodBalance.Generator.Output;

/// <summary>The commit message of each policy's patch: what it does and how to tune it.</summary>
public static class PolicyDescription
{
    public static string Subject(Policy policy) => policy switch
    {
        Policy.Hash => "tun: steer packets by flow hash only",
        Policy.Dynamic => "tun: balance flows across queues by load",
        _ => throw new ArgumentOutOfRangeException(nameof(policy), "stock has no patch"),
    };

    public static string Message(Policy policy, Tunables tunables) => policy switch
    {
        Policy.Hash => """
            tun_select_queue() picks a queue from the queue the guest last sent a
            flow's packets on (automq) and falls back to the flow hash scaled to the
            queue count. Use the scaled flow hash for every packet instead: the
            static baseline of Han Jang-won's 2013 thesis "Dynamic Packet Load
            Balancing Mechanism for Multi-queue Virtual Network Adapter", against
            which a dynamic policy is measured. Flow learning still feeds RPS.
            """,
        Policy.Dynamic => $"""
            Static flow hashing lets several flows share a queue, and so one guest
            vCPU, while other queues stay idle: with 4 flows on 4 queues only 9.4%
            of hash draws give every flow its own queue.

            Add the dynamic flow balancer of Han Jang-won's 2013 thesis "Dynamic
            Packet Load Balancing Mechanism for Multi-queue Virtual Network
            Adapter". A new flow goes to the queue that carried the fewest packets
            in the last period (ties: fewest flows, then lowest index). Every
            period a remapper sorts the queues by load, pairs the i-th lightest
            with the i-th heaviest and, when their gap exceeds a threshold, moves
            the heavy queue's flows, heaviest first, while each is lighter than
            what is left of half the gap. Flows idle for a period are forgotten.

            Known flows are found under RCU and counted with WRITE_ONCE(), so the
            packet path takes no lock; new flows and the remapper (a timer) take
            the balancer's spinlock, and new entries are allocated before it is
            taken. A flow whose queue was detached is re-placed on its next
            packet. The eBPF steering program, when set, still takes precedence.

            Two module parameters tune it at run time:
              balance_threshold  load gap in packets per period (default {tunables.Threshold})
              balance_period_ms  remapper period in ms, {Tunables.MinPeriodMs}-{Tunables.MaxPeriodMs} (default {tunables.PeriodMs})

            The read-only device attribute balance_stats shows the flows tracked,
            the migrations so far and, per queue, the last period's load and flows.
            """,
        _ => throw new ArgumentOutOfRangeException(nameof(policy), "stock has no patch"),
    };
}
