using FluentAssertions;
using KmodBalance.Model.Balancing;
using Xunit;

namespace KmodBalance.Tests.Model;

/// <summary>adaptive's decisions (docs/BALANCER.md "## adaptive"), one rule at a time.</summary>
public class AdaptiveBalancerTests
{
    // Hashes whose admission bits (hash >> 19) differ and that hash to queues 0, 1, 2, 3 of 4.
    private const uint A = 0x10000000, B = 0x50000000, C = 0x90000000, D = 0xD0000000, E = 0x30000000;

    /// <summary>The guest took every packet off every queue: each ring is empty.</summary>
    private static void DrainAll(AdaptiveBalancer b, uint n)
    {
        for (ushort q = 0; q < n; q++)
            b.Dequeued(q, b.Queued(q));
    }

    private static ushort Send(AdaptiveBalancer b, uint hash, int packets, uint n, ulong now = 0)
    {
        ushort q = 0;
        for (int i = 0; i < packets; i++)
            q = b.Select(hash, 1, n, now);
        return q;
    }

    private static AdaptiveFlowState Flow(AdaptiveBalancer b, uint hash)
    {
        b.TryGetFlow(hash, out var state).Should().BeTrue();
        return state;
    }

    /// <summary>
    /// Without a learned queue, a flow admitted where it fits stays on its hash queue: every queue
    /// is as light as any, so sending it elsewhere would only make it wait for its old ring. A
    /// flow whose hash queue already got this period's placement goes to the lightest queue.
    /// </summary>
    [Fact]
    public void A_flow_starts_on_its_hash_queue_when_that_is_as_light_as_any()
    {
        var b = new AdaptiveBalancer(threshold: 64);
        Send(b, C, 2, 4).Should().Be(2);
        Flow(b, C).Should().Be(new AdaptiveFlowState(2, 2, 1, 0), "admitted on queue 2, where its first packet went; no move");
        Send(b, D, 2, 4).Should().Be(3);
        Flow(b, D).Should().Be(new AdaptiveFlowState(3, 3, 1, 0));
        const uint c2 = C + 0x01000000;                      // queue 2 too, another admission bit
        Send(b, c2, 2, 4).Should().Be(2, "its packets stay behind its first until that left the ring");
        Flow(b, c2).Next.Should().Be(0, "queue 2 already has this period's placement: the lightest, queue 0");
    }

    /// <summary>
    /// A learned queue the device no longer has (the guest answered on queue 3 of 4, then the tap
    /// went down to 2 queues) is no choice: the flow starts on its hash queue, which fits.
    /// </summary>
    [Fact]
    public void A_learned_queue_beyond_the_queue_count_leaves_the_flow_on_its_hash_queue()
    {
        var b = new AdaptiveBalancer(threshold: 64);
        b.GuestSent(C, 3);
        Send(b, C, 2, 2).Should().Be(1);
        Flow(b, C).Should().Be(new AdaptiveFlowState(1, 1, 1, 0), "queue 1 is C's hash queue of 2; the lightest would be queue 0");
    }

    /// <summary>
    /// The nested UDP compare's failure: two saturating flows share hash queue 0 of 2, the second
    /// is placed on queue 1 at admission, and the guest reads queue 0 at half the rate they send,
    /// so its ring (8 slots here) never empties and always holds the flow's latest packet. The
    /// flow pauses at the full ring, its packets are dropped there until the ring passed the
    /// newest one it held, then it moves; the guest reads every flow in sequence throughout.
    /// </summary>
    [Fact]
    public void A_flow_that_keeps_a_full_ring_busy_still_moves_and_is_never_reordered()
    {
        const uint slots = 8;
        var b = new AdaptiveBalancer(threshold: 64, ringSlots: slots);
        var rings = new[] { new Queue<(uint Flow, int Seq)>(), new Queue<(uint Flow, int Seq)>() };
        var sent = new Dictionary<uint, int> { [A] = 0, [E] = 0 };
        var read = new Dictionary<uint, int> { [A] = -1, [E] = -1 };
        void Read(ushort q, int packets)
        {
            for (int i = 0; i < packets && rings[q].Count > 0; i++)
            {
                var (flow, seq) = rings[q].Dequeue();
                seq.Should().BeGreaterThan(read[flow], "flow {0:x} must reach the guest in sequence", flow);
                read[flow] = seq;
                b.Dequeued(q, 1);
            }
        }

        int dropped = 0;
        for (int step = 0; step < 200; step++)
        {
            foreach (var flow in new[] { A, E })
            {
                var q = b.Select(flow, 1, 2);
                var seq = sent[flow]++;
                if (b.LastDropped)
                    dropped++;
                else if (rings[q].Count >= slots)
                    b.Dropped(q, 1);
                else
                    rings[q].Enqueue((flow, seq));
            }
            Read(0, 1);                          // queue 0 takes one of every two packets sent
            Read(1, int.MaxValue);
        }

        Flow(b, A).Should().Be(Flow(b, A) with { Queue = 0, Next = 0 });
        Flow(b, E).Queue.Should().Be(1, "placed on the idle queue at admission, it got there");
        b.Switches.Should().Be(1);
        dropped.Should().BeInRange(1, (int)slots, "paused for at most the ring's drain time");
        (b.Pauses, b.PauseDrops).Should().Be((1u, (uint)dropped), "the statistics count the one pause and what it dropped");
        read[E].Should().BeGreaterThan(150, "on its own queue it is read at the rate it sends");
    }

    /// <summary>
    /// A guest that stops reading the old queue never lets the paused flow go: the second remap
    /// that finds it paused ends the pause, the flow gives up its move and its packets enter the
    /// old ring again, behind its own (a pause drops at most until then).
    /// </summary>
    [Fact]
    public void A_pause_that_a_stalled_queue_never_ends_gives_up_the_move_at_the_second_remap()
    {
        var b = new AdaptiveBalancer(threshold: 64, ringSlots: 3);
        b.Select(A, 1, 2).Should().Be(0);
        b.Select(E, 1, 2).Should().Be(0);
        b.Select(A, 1, 2).Should().Be(0);        // admitted, placed on 0
        b.Select(E, 1, 2).Should().Be(0);        // admitted, placed on 1, still on 0: its 3 slots are full
        b.LastDropped.Should().BeTrue("E paused at the full ring");
        Flow(b, E).Should().Be(new AdaptiveFlowState(0, 1, 1, 0));

        b.Remap(2);
        b.Select(E, 1, 2).Should().Be(0);
        b.LastDropped.Should().BeTrue("one remap does not end the pause");
        b.Remap(2);
        Flow(b, E).Should().Be(new AdaptiveFlowState(0, 0, 0, 0), "the second remap gave up the move");
        b.FlowsOnQueue(0).Should().Be(1, "E belongs there now (A, idle on its hash queue, left the table)");
        b.FlowsOnQueue(1).Should().Be(0);
        b.Dequeued(0, 1);
        b.Select(E, 1, 2).Should().Be(0);
        b.LastDropped.Should().BeFalse("its packets enter the ring again, behind its own");
    }

    [Fact]
    public void A_flow_starts_on_the_queue_the_guest_sends_it_on()
    {
        var b = new AdaptiveBalancer(threshold: 64);
        b.Select(A, 1, 4).Should().Be(0, "the first packet is steered by hash and counted as untracked");
        b.GuestSent(A, 2);
        b.Dequeued(0, 1);                        // the guest took that first packet
        b.Select(A, 1, 4).Should().Be(2, "admitted on its second packet, on the learned queue");
        Flow(b, A).Should().Be(new AdaptiveFlowState(2, 2, 1, 0));
    }

    [Fact]
    public void An_idle_flow_off_its_hash_queue_stays_while_a_stalled_guest_keeps_its_packets()
    {
        var b = new AdaptiveBalancer(threshold: 64);
        b.Select(A, 1, 4).Should().Be(0);
        b.GuestSent(A, 2);
        b.Dequeued(0, 1);
        b.Select(A, 1, 4).Should().Be(2, "placed on the learned queue, not its hash queue 0");
        Send(b, A, 3, 4);                        // the guest stops reading queue 2: 4 packets wait there
        b.Remap(4);
        b.Remap(4);                              // a whole period idle
        b.TryGetFlow(A, out _).Should().BeTrue("its next packet, steered by hash to queue 0, would overtake the 4 on queue 2");
        b.Select(A, 1, 4).Should().Be(2);
        DrainAll(b, 4);
        b.Remap(4);
        b.Remap(4);
        b.TryGetFlow(A, out _).Should().BeFalse("idle with nothing of it queued, it leaves the table");
        b.Select(A, 1, 4).Should().Be(0, "a new flow again, steered by hash");
    }

    [Fact]
    public void An_idle_flow_on_its_hash_queue_leaves_however_full_its_ring()
    {
        var b = new AdaptiveBalancer(threshold: 64);
        Send(b, A, 2, 4).Should().Be(0, "no guest queue learned: placed on the lightest, queue 0, its hash queue too");
        b.Remap(4);
        b.Remap(4);
        b.Queued(0).Should().Be(2u);
        b.TryGetFlow(A, out _).Should().BeFalse("its next packet goes to queue 0 behind its own");
    }

    [Fact]
    public void A_new_flow_stays_on_its_hash_queue_until_its_first_packet_has_left_it()
    {
        var b = new AdaptiveBalancer(threshold: 64);
        b.GuestSent(A, 2);
        b.Select(A, 1, 4).Should().Be(0);
        b.Select(A, 1, 4).Should().Be(0, "the first packet still waits on queue 0");
        Flow(b, A).Moving.Should().BeTrue();
        b.Dequeued(0, 1);
        b.Select(A, 1, 4).Should().Be(0, "the second packet went to queue 0 too and still waits there");
        b.Dequeued(0, 2);
        b.Select(A, 1, 4).Should().Be(2, "queue 0 has passed A's last packet");
        Flow(b, A).Moving.Should().BeFalse();
        b.Switches.Should().Be(1u);
    }

    [Fact]
    public void The_learned_queue_is_refused_when_it_is_clearly_heavier_than_the_lightest()
    {
        var b = new AdaptiveBalancer(threshold: 64);
        Send(b, A, 2, 4);                        // A -> queue 0 (all empty)
        DrainAll(b, 4);
        Send(b, A, 1000, 4);
        b.Remap(4);                              // lastLoad = [1000, 0, 0, 0]
        b.GuestSent(B, 0);
        Send(b, B, 2, 4);
        Flow(b, B).Next.Should().Be(1, "queue 0 (1000) is far above the lightest (0): B goes to the lightest, queue 1");
    }

    [Fact]
    public void Flows_opening_within_one_period_do_not_herd_onto_the_lightest_queue()
    {
        // lastLoad [10, 12, 2000, 2000]: dynamic would put every new flow of the period on queue 0.
        var b = new AdaptiveBalancer(threshold: 64);
        uint[] old = [A, B, C, D];
        foreach (var h in old)
            Send(b, h, 2, 4);
        old.Select(h => Flow(b, h).Next).Should().Equal((ushort)0, (ushort)1, (ushort)2, (ushort)3);
        DrainAll(b, 4);
        b.Remap(4);
        Send(b, A, 10, 4);
        Send(b, B, 12, 4);
        Send(b, C, 2000, 4);
        Send(b, D, 2000, 4);
        b.Remap(4);
        Enumerable.Range(0, 4).Select(b.LastLoad).Should().Equal(10u, 12u, 2000u, 2000u);

        var fresh = Enumerable.Range(1, 8).Select(i => (uint)i * 0x00100000u + 0x01000000u).ToArray();
        foreach (var h in fresh)
            Send(b, h, 2, 4);
        var placed = fresh.Select(h => Flow(b, h).Next).ToArray();
        placed.GroupBy(q => q).Max(g => g.Count()).Should().BeLessThanOrEqualTo(3, "each placement counts the mean flow load on its queue");
        placed.Count(q => q == 0).Should().BeLessThan(8);

        var dynamic = new DynamicBalancer(threshold: 64);
        foreach (var h in old)
            dynamic.Select(h, 1, 4);
        foreach (var h in old)
            dynamic.Select(h, 1, 4);
        dynamic.Remap(4);
        foreach (var (h, k) in old.Zip(new[] { 10, 12, 2000, 2000 }))
            for (int i = 0; i < k; i++)
                dynamic.Select(h, 1, 4);
        dynamic.Remap(4);
        foreach (var h in fresh)
        {
            dynamic.Select(h, 1, 4);
            dynamic.Select(h, 1, 4);
        }
        fresh.Select(h => dynamic.FlowQueues[h]).Should().OnlyContain(q => q == 0, "the contrast: dynamic herds");
    }

    /// <summary>Two flows of 1000 segments on queue 0 (admitted while there was one queue), queue 1 idle.</summary>
    private static AdaptiveBalancer Pair()
    {
        var b = new AdaptiveBalancer(threshold: 64);
        Send(b, A, 2, 1);
        Send(b, B, 2, 1);
        DrainAll(b, 1);
        b.Remap(1);
        Send(b, A, 1000, 2);
        Send(b, B, 1000, 2);
        return b;
    }

    [Fact]
    public void Two_equal_flows_on_one_queue_split_next_to_an_idle_one()
    {
        var b = Pair();
        b.Remap(2);
        b.LastRemap.Moves.Should().ContainSingle().Which.Should().Be(new FlowMove(A, 0, 1, 1000), "equal flows walk by hash ascending");
        Enumerable.Range(0, 2).Select(b.LastLoad).Should().Equal(1000u, 1000u);
        Flow(b, B).Next.Should().Be(0);

        var dynamic = new DynamicBalancer(threshold: 64);
        foreach (var h in new[] { A, B, A, B })
            dynamic.Select(h, 1, 1);
        dynamic.Remap(1);
        for (int i = 0; i < 1000; i++)
        {
            dynamic.Select(A, 1, 2);
            dynamic.Select(B, 1, 2);
        }
        dynamic.Remap(2);
        dynamic.LastRemap.Moves.Should().BeEmpty("the contrast: packets < (2000 - 0) / 2 holds for neither");
    }

    [Fact]
    public void A_move_waits_until_the_old_queue_holds_none_of_the_flows_packets()
    {
        var b = Pair();
        b.Remap(2);
        Flow(b, A).Should().Be(new AdaptiveFlowState(0, 1, 0, b.Periods - 1 + AdaptiveBalancer.HoldPeriods));
        b.Queued(0).Should().BeGreaterThan(0u);
        Send(b, A, 1, 2).Should().Be(0, "its packets still wait on queue 0");
        b.Dequeued(0, b.Queued(0) - 1);
        Send(b, A, 1, 2).Should().Be(0, "its last packet is still on queue 0");
        b.Dequeued(0, 2);
        Send(b, A, 1, 2).Should().Be(1, "queue 0 has passed its last packet");
        Send(b, A, 1, 2).Should().Be(1);
        Flow(b, A).Moving.Should().BeFalse();
    }

    [Fact]
    public void A_move_completes_on_a_busy_queue_once_the_ring_passed_the_flows_tail_and_mark()
    {
        var b = Pair();
        b.Remap(2);                              // A: 0 -> 1; queue 0 never empties below
        Flow(b, A).Moving.Should().BeTrue();
        Send(b, B, 1, 2);
        b.Dequeued(0, b.Queued(0) - 1);          // only B's packet is left on queue 0
        Send(b, A, 1, 2).Should().Be(0, "the first packet of the move has no mark and queue 0 is not empty");
        Send(b, A, 1, 2).Should().Be(0, "A's mark is still queued: it becomes A's tail");
        Send(b, B, 1, 2);
        b.Dequeued(0, 3);                        // B's old packet, A's tail and A's mark have left; B's new one waits
        b.Queued(0).Should().Be(1u);
        Send(b, A, 1, 2).Should().Be(1, "queue 0 has passed A's tail and mark although it is not empty");
    }

    [Fact]
    public void A_mark_consumed_before_it_was_seen_queued_proves_nothing_on_a_busy_queue()
    {
        var b = Pair();
        b.Remap(2);
        Send(b, B, 1, 2);
        b.Dequeued(0, b.Queued(0) - 1);
        Send(b, A, 1, 2).Should().Be(0);
        Send(b, B, 1, 2);
        b.Dequeued(0, 2);                        // A's mark left before any packet of A found it queued
        Send(b, A, 1, 2).Should().Be(0, "a mark the ring does not hold may have been dropped, with A's older packets still queued");
    }

    [Fact]
    public void A_mark_dropped_by_the_full_ring_does_not_end_the_wait()
    {
        var b = Pair();
        b.Remap(2);                              // queue 0 still holds A's and B's packets
        Send(b, A, 1, 2).Should().Be(0);
        Send(b, A, 1, 2).Should().Be(0, "its first mark is queued: the tail");
        b.Dropped(0, 1);                         // the ring was full: the new mark never entered
        Send(b, A, 1, 2).Should().Be(0, "the tail and A's older packets are still queued although the mark is gone");
        b.Dequeued(0, b.Queued(0));
        Send(b, A, 1, 2).Should().Be(1, "the ring is past the tail and the last mark");
        Flow(b, A).Moving.Should().BeFalse();
    }

    [Fact]
    public void While_the_old_queues_qdisc_holds_packets_a_mark_missing_from_the_ring_proves_nothing()
    {
        var b = Pair();
        b.Remap(2);
        Send(b, A, 1, 2).Should().Be(0);
        Send(b, A, 1, 2).Should().Be(0, "its first mark is queued: the tail");
        b.QdiscPending(0, true);
        b.Dequeued(0, b.Queued(0));
        Send(b, A, 1, 2).Should().Be(0, "the ring is empty, but the qdisc may still hold A's last packet");
        b.QdiscPending(0, false);
        b.Dequeued(0, b.Queued(0));
        Send(b, B, 1, 2);
        Send(b, A, 1, 2).Should().Be(0, "a mark looked for while the qdisc was busy may have reached the ring unseen: only an empty ring proves A gone");
        b.Dequeued(0, b.Queued(0));
        Send(b, A, 1, 2).Should().Be(1);
    }

    [Fact]
    public void A_moved_flow_is_held_for_the_hysteresis_periods()
    {
        var b = Pair();
        b.Remap(2);                              // A: 0 -> 1, held until remap Periods - 1 + HoldPeriods
        DrainAll(b, 2);
        uint heldUntil = Flow(b, A).HeldUntil;
        b.GuestSent(E, 1);
        for (int period = 0; period < AdaptiveBalancer.HoldPeriods + 1; period++)
        {
            bool held = unchecked((int)(b.Periods - heldUntil)) < 0;
            Send(b, A, 1000, 2);
            Send(b, E, 1000, 2);                 // E joins A on queue 1 (learned; loads were even)
            Send(b, B, 10, 2);
            DrainAll(b, 2);
            b.Remap(2);
            if (held)
                b.LastRemap.Moves.Should().NotContain(m => m.Hash == A, $"A moved at most {AdaptiveBalancer.HoldPeriods} remaps ago");
            DrainAll(b, 2);
        }
        b.Migrations.Should().BeGreaterThan(1u);
    }

    [Fact]
    public void A_lone_flow_never_moves_and_small_gaps_are_tolerated()
    {
        var b = new AdaptiveBalancer(threshold: 64);
        Send(b, A, 2, 2);
        DrainAll(b, 2);
        Send(b, A, 5000, 2);
        b.Remap(2);
        b.LastRemap.Moves.Should().BeEmpty("moving the only flow cannot lower the larger load");

        var c = Pair();                          // 1000 + 1000 vs 0
        c.Remap(2);
        DrainAll(c, 2);
        Send(c, A, 1000, 2);
        Send(c, B, 900, 2);
        c.Remap(2);
        c.LastRemap.Moves.Should().BeEmpty("a gap of 100 is below 1/8 of 1000");
    }

    [Fact]
    public void A_one_packet_flood_stays_out_of_the_table()
    {
        var b = new AdaptiveBalancer(threshold: 64);
        for (uint i = 0; i < 4096; i++)
            b.Select(i << 19, 1, 4);
        b.FlowCount.Should().Be(0u);
        Enumerable.Range(0, 4).Sum(q => (long)b.Untracked(q)).Should().Be(4096);
    }

    [Fact]
    public void Detach_unplaces_the_flows_of_both_indexes()
    {
        var b = new AdaptiveBalancer(threshold: 64);
        foreach (var h in new[] { A, B, C, D })
            Send(b, h, 2, 4);
        DrainAll(b, 4);
        b.Detach(1, 3);
        Flow(b, B).Next.Should().Be(DynamicBalancer.Unplaced);
        Flow(b, D).Next.Should().Be(DynamicBalancer.Unplaced);
        b.FlowsOnQueue(1).Should().Be(0u);
        Send(b, B, 1, 3).Should().BeLessThan((ushort)3);
        Send(b, D, 1, 3).Should().BeLessThan((ushort)3);
        Flow(b, A).Next.Should().Be(0);
    }
}
