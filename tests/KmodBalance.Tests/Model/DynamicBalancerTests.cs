using CsCheck;
using FluentAssertions;
using KmodBalance.Model.Balancing;
using Xunit;

namespace KmodBalance.Tests.Model;

public class DynamicBalancerTests
{
    /// <summary>Sends <paramref name="packets"/> packets of flow <paramref name="hash"/>; returns the last answer.</summary>
    private static ushort Send(DynamicBalancer b, uint hash, int packets, uint n)
    {
        ushort q = 0;
        for (int i = 0; i < packets; i++)
            q = b.Select(hash, 1, n);
        return q;
    }

    /// <summary>
    /// A balancer whose table holds <paramref name="hashes"/>, admitted in that order in a first
    /// period (two packets each: since BALANCER.md's admission filter a flow enters the table
    /// on its second packet in a period) and remapped with <paramref name="n"/> queues, so that
    /// the next period counts every packet of them on their flows.
    /// </summary>
    private static DynamicBalancer Admitted(uint threshold, uint n, params uint[] hashes)
    {
        var b = new DynamicBalancer(threshold);
        foreach (var h in hashes)
            Send(b, h, 2, n);
        b.FlowCount.Should().Be((uint)hashes.Length);
        b.Remap(n);
        b.Migrations.Should().Be(0u, "the warm-up period moves nothing");
        return b;
    }

    // Hashes whose admission bits (hash >> 19) differ: each needs its own second packet.
    private const uint A = 0x10000000, B = 0x50000000, C = 0x90000000, D = 0xD0000000;

    [Fact]
    public void Four_new_flows_opening_together_land_on_queues_0_1_2_3()
    {
        // Each flow's first packet is steered by hash (A..D hash to queues 0..3 of 4 anyway);
        // its second is admitted. All lastLoad are 0, so leastLoaded falls to (flows[q], q):
        // each new flow takes the queue with no flow and the lowest index.
        var b = new DynamicBalancer(threshold: 64);
        new[] { D, C, B, A }.Select(h => b.Select(h, 1, 4)).Should().Equal((ushort)3, (ushort)2, (ushort)1, (ushort)0);
        b.FlowCount.Should().Be(0);
        new[] { D, C, B, A }.Select(h => b.Select(h, 1, 4)).Should().Equal((ushort)0, (ushort)1, (ushort)2, (ushort)3);
        b.FlowCount.Should().Be(4);
        Enumerable.Range(0, 4).Select(b.FlowsOnQueue).Should().AllBeEquivalentTo(1u);
    }

    [Fact]
    public void A_new_flow_is_steered_by_hash_and_counted_as_untracked_until_its_second_packet()
    {
        var b = new DynamicBalancer(64);
        b.Select(D, 45, 4).Should().Be(3, "case 5: (u64)0xD0000000 * 4 >> 32 = 3");
        b.FlowQueues.Should().BeEmpty();
        b.Untracked(3).Should().Be(45u);
        b.SeenCount.Should().Be(1);
        b.Select(D, 2, 4).Should().Be(0, "case 4: admitted on the least loaded queue");
        b.TryGetFlow(D, out var f).Should().BeTrue();
        f.Should().Be(new FlowState(Queue: 0, Packets: 2));
        b.Remap(4);
        Enumerable.Range(0, 4).Select(b.LastLoad).Should().Equal(2u, 0u, 0u, 45u);
        b.Untracked(3).Should().Be(0u, "a new period starts");
    }

    [Fact]
    public void The_admission_filter_is_cleared_every_period()
    {
        // one packet a period never gets in: a flood of one-packet flows cannot fill the table
        var b = new DynamicBalancer(64);
        for (int period = 0; period < 3; period++)
        {
            b.Select(A, 1, 4);
            b.FlowCount.Should().Be(0);
            b.Remap(4).Should().BeFalse("nothing to remap next period");
            b.SeenCount.Should().Be(0);
        }
    }

    [Fact]
    public void A_one_packet_flow_gets_in_only_on_another_flows_bit()
    {
        var b = new DynamicBalancer(64);
        b.Select(7, 1, 4);                           // bit 0 set, untracked
        b.Select(3, 1, 4).Should().Be(0, "flow 3 shares bit 0 (3 >> 19 = 0): admitted at once");
        b.FlowQueues.Keys.Should().Equal(3u);
    }

    [Fact]
    public void A_known_flow_keeps_its_queue_and_counts_segments()
    {
        var b = Admitted(64, 4, A, B);
        b.Select(A, 45, 4).Should().Be(0);
        b.Select(B, 1, 4).Should().Be(1);
        b.Select(A, 1, 4).Should().Be(0);
        b.TryGetFlow(A, out var f).Should().BeTrue();
        f.Should().Be(new FlowState(Queue: 0, Packets: 46));
        b.FlowQueues.Should().BeEquivalentTo(new Dictionary<uint, ushort> { [A] = 0, [B] = 1 });
    }

    [Fact]
    public void Zero_queues_answers_0_and_records_nothing()
    {
        var b = new DynamicBalancer(64);
        b.Select(123, 1500, 0).Should().Be(0);
        b.Select(123, 1500, 0).Should().Be(0);
        b.FlowCount.Should().Be(0);
        b.FlowQueues.Should().BeEmpty();
        b.SeenCount.Should().Be(0);
        b.Untracked(0).Should().Be(0u);
    }

    [Fact]
    public void Full_table_falls_back_to_hash_and_counts_untracked()
    {
        var b = new DynamicBalancer(64, maxFlows: 2);
        Send(b, A, 2, 4).Should().Be(0);
        Send(b, B, 2, 4).Should().Be(1);
        // Case 5 twice: (u64)0xC0000000 * 4 >> 32 = 3 (the least-loaded queue would be 2).
        b.Select(0xC0000000, 10, 4).Should().Be(3);
        b.Select(0xC0000000, 10, 4).Should().Be(3);
        b.FlowCount.Should().Be(2);
        b.FlowQueues.Should().NotContainKey(0xC0000000);
        b.FlowsOnQueue(3).Should().Be(0);
        b.Untracked(3).Should().Be(20u, "every steered segment counts toward its queue");
    }

    [Fact]
    public void Without_the_lock_or_memory_a_new_flow_stays_untracked()
    {
        var b = new DynamicBalancer(64);
        b.Select(D, 1, 4);
        b.SelectWithoutLock(D, 1, 4).Should().Be(3, "netpoll: case 4 becomes case 5");
        b.SelectWithoutMemory(D, 1, 4).Should().Be(3, "GFP_ATOMIC failed: case 4 becomes case 5");
        b.FlowCount.Should().Be(0);
        b.Untracked(3).Should().Be(3u);
        b.Select(D, 1, 4).Should().Be(0);
    }

    [Fact]
    public void Without_the_lock_a_flow_to_re_place_is_steered_by_hash_but_memory_is_not_needed()
    {
        var b = Admitted(64, 4, A, B, C, D);
        b.SelectWithoutLock(D, 5, 2).Should().Be(1, "netpoll: case 3 becomes case 5, (u64)0xD0000000 * 2 >> 32 = 1");
        b.FlowQueues[D].Should().Be(3);
        b.Untracked(1).Should().Be(5u);
        b.SelectWithoutMemory(D, 5, 2).Should().Be(0, "re-placing allocates nothing");
        b.FlowQueues[D].Should().Be(0);
    }

    [Fact]
    public void A_flow_on_a_detached_queue_is_re_placed_on_the_least_loaded_live_queue()
    {
        var b = Admitted(64, 4, A, B, C, D);          // A..D on 0..3, lastLoad 2 each
        b.Select(B, 1, 4);
        // n shrinks to 2: flow D (queue 3 >= 2) is re-placed. lastLoad is 2 everywhere and
        // flows[0] = flows[1] = 1, so queue 0 wins on index.
        b.Select(D, 1, 2).Should().Be(0);
        b.FlowsOnQueue(3).Should().Be(0);
        b.FlowsOnQueue(0).Should().Be(2);
        // Flow C (queue 2) next: flows[0] = 2 > flows[1] = 1, so queue 1.
        b.Select(C, 1, 2).Should().Be(1);
        b.TryGetFlow(D, out var f).Should().BeTrue();
        f.Packets.Should().Be(1);
    }

    [Fact]
    public void Detach_unplaces_the_flows_of_both_indexes_and_forgets_their_loads()
    {
        var b = Admitted(64, 4, A, B, C, D);          // A..D on 0..3
        b.Count(1, 7);
        b.Count(3, 9);
        b.Count(2, 4);
        b.Detach(1, 3);                               // tun moved queue 3 into index 1
        b.FlowQueues[B].Should().Be(DynamicBalancer.Unplaced);
        b.FlowQueues[D].Should().Be(DynamicBalancer.Unplaced);
        b.FlowQueues[A].Should().Be(0);
        b.FlowQueues[C].Should().Be(2);
        Enumerable.Range(0, 4).Select(b.FlowsOnQueue).Should().Equal(1u, 0u, 1u, 0u);
        Enumerable.Range(0, 4).Select(b.LastLoad).Should().Equal(2u, 0u, 2u, 0u);
        Enumerable.Range(0, 4).Select(b.Untracked).Should().Equal(0u, 0u, 4u, 0u);
        // The next packet places an unplaced flow (case 3): queue 1 has lastLoad 0.
        b.Select(D, 1, 3).Should().Be(1);
        b.FlowsOnQueue(1).Should().Be(1u);
        // An unplaced flow that sends nothing is dropped without touching any flows[q].
        b.Remap(3);
        b.FlowQueues.Should().NotContainKey(B);
        b.FlowCount.Should().Be(1);
        Enumerable.Range(0, 4).Select(b.FlowsOnQueue).Should().Equal(0u, 1u, 0u, 0u);
    }

    [Fact]
    public void Remap_moves_from_the_heaviest_to_the_lightest_within_the_budget()
    {
        // n = 1 puts every flow on queue 0; then remap with n = 2 (queue 1 empty).
        var b = Admitted(10, 1, 1, 2, 3, 4);
        Send(b, 1, 30, 1);
        Send(b, 2, 20, 1);
        Send(b, 3, 10, 1);
        Send(b, 4, 5, 1);
        b.Remap(2);
        // load = [65, 0]; order = [1, 0]; pair i = 0: L = 1, H = 0, 65 - 0 = 65 > 10.
        // M = 65 / 2 = 32. Walk 1(30), 2(20), 3(10), 4(5):
        //   30 < 32 -> move flow 1, M = 2; 20, 10, 5 are all >= 2 -> stay.
        b.LastRemap.Moves.Should().Equal(new FlowMove(1, 0, 1, 30));
        b.FlowQueues[1].Should().Be(1);
        b.FlowQueues[2].Should().Be(0);
        b.LastLoad(0).Should().Be(35u);
        b.LastLoad(1).Should().Be(30u);
        b.Migrations.Should().Be(1u);
        b.Periods.Should().Be(2u);
        b.FlowsOnQueue(0).Should().Be(3u);
        b.FlowsOnQueue(1).Should().Be(1u);
        b.TryGetFlow(1, out var f).Should().BeTrue();
        f.Packets.Should().Be(0, "step 6 resets every flow's packets");
        // A new flow: its first packet by hash, (u64)99 * 2 >> 32 = 0; its second is admitted
        // where the mapper now prefers queue 1: lastLoad 30 < 35.
        b.Select(99, 1, 2).Should().Be(0);
        b.Select(99, 1, 2).Should().Be(1);
    }

    [Fact]
    public void Remap_walks_equal_flows_by_hash_ascending()
    {
        var b = Admitted(0, 1, 9, 7, 5);
        Send(b, 9, 3, 1);
        Send(b, 7, 3, 1);
        Send(b, 5, 2, 1);
        b.Remap(2);
        // load = [8, 0], diff 8 > 0, M = 4. Walk 7(3), 9(3), 5(2): 7 moves (3 < 4, M = 1), 9 and 5 stay.
        b.LastRemap.Moves.Should().Equal(new FlowMove(7, 0, 1, 3));
        b.LastLoad(0).Should().Be(5u);
        b.LastLoad(1).Should().Be(3u);
    }

    [Fact]
    public void Remap_pairs_ith_lightest_with_ith_heaviest_on_four_queues()
    {
        // Admitted in order (100's second packet, then 101..105 on 100's bit 0): 100..103 on
        // 0..3, then 104 on 0 (flows = [1,1,1,1]) and 105 on 1 (flows = [2,1,1,1]).
        var b = Admitted(16, 4, 100, 101, 102, 103, 104, 105);
        Enumerable.Range(100, 6).Select(h => b.FlowQueues[(uint)h]).Should().Equal((ushort)0, (ushort)1, (ushort)2, (ushort)3, (ushort)0, (ushort)1);
        Send(b, 100, 50, 4);                         // q0: 100 has 50
        Send(b, 104, 30, 4);                         // q0: 104 has 30 -> load 80
        Send(b, 101, 10, 4);                         // q1: 101 has 10
        Send(b, 105, 5, 4);                          // q1: 105 has 5  -> load 15
        Send(b, 102, 60, 4);                         // q2: 102 has 60 -> load 60
        Send(b, 103, 20, 4);                         // q3: 103 has 20 -> load 20
        b.Remap(4);
        // order by (load, index) = [q1 15, q3 20, q2 60, q0 80].
        // i = 0: L = q1, H = q0: 65 > 16, M = 32. Walk 100(50) stays, 104(30) moves, M = 2.
        // i = 1: L = q3, H = q2: 40 > 16, M = 20. 102(60) is alone and stays.
        b.LastRemap.Moves.Should().Equal(new FlowMove(104, 0, 1, 30));
        Enumerable.Range(0, 4).Select(b.LastLoad).Should().Equal(50u, 45u, 60u, 20u);
        b.Migrations.Should().Be(1u);
    }

    [Fact]
    public void No_migration_when_the_difference_does_not_exceed_the_threshold()
    {
        var b = Admitted(20, 1, 1, 2);
        Send(b, 1, 15, 1);
        Send(b, 2, 5, 1);
        b.Remap(2);                                  // 20 - 0 = 20, not > 20
        b.LastRemap.Moves.Should().BeEmpty();
        b.Migrations.Should().Be(0u);
    }

    [Fact]
    public void Remap_drops_idle_flows_and_flows_on_detached_queues()
    {
        var b = Admitted(64, 4, 1, 2, 3, 4);         // 1..4 on 0..3; all had packets: all kept
        b.FlowCount.Should().Be(4);
        b.Select(1, 100, 4);
        b.Select(4, 100, 4);
        b.Remap(2);                                  // 2, 3 idle; 4 on queue 3 >= 2
        b.LastRemap.Dropped.Should().Equal(2u, 3u, 4u);
        b.FlowQueues.Keys.Should().Equal(1u);
        b.FlowCount.Should().Be(1);
        Enumerable.Range(0, 4).Select(b.FlowsOnQueue).Should().Equal(1u, 0u, 0u, 0u);
        Enumerable.Range(0, 4).Select(b.LastLoad).Should().Equal(100u, 0u, 0u, 0u);
    }

    [Fact]
    public void A_lone_flow_on_its_queue_is_never_moved()
    {
        // H holds one flow with p packets, so load(H) = p and M = (p - load(L)) / 2 < p.
        Gen.Select(Gen.UInt[1, 2000], Gen.UInt[1, 2000], Gen.UInt[0, 100]).Sample((p, l, threshold) =>
        {
            var b = Admitted(threshold, 2, A, B);
            b.FlowQueues[A].Should().Be(0);
            b.FlowQueues[B].Should().Be(1);
            Send(b, A, (int)p, 2);
            Send(b, B, (int)l, 2);
            b.Remap(2);
            b.LastRemap.Moves.Should().BeEmpty();
            b.FlowQueues[A].Should().Be(0);
            b.FlowQueues[B].Should().Be(1);
        }, iter: 300);
    }

    [Fact]
    public void Counters_wrap_like_u32()
    {
        var b = new DynamicBalancer(threshold: uint.MaxValue);
        b.Select(1, uint.MaxValue, 1);               // untracked
        b.Select(1, 1, 1);                           // admitted
        b.Select(1, uint.MaxValue, 1);
        b.Select(1, 2, 1);
        b.TryGetFlow(1, out var f).Should().BeTrue();
        f.Packets.Should().Be(2u, "1 + 0xFFFFFFFF + 2 wraps to 2");
        b.Remap(2);
        b.LastRemap.Moves.Should().BeEmpty("no difference exceeds u32 max");
    }

    [Fact]
    public void More_than_256_queues_is_refused()
    {
        var b = new DynamicBalancer(64);
        b.Invoking(x => x.Select(1, 1, 257)).Should().Throw<ArgumentOutOfRangeException>();
        b.Invoking(x => x.Remap(257)).Should().Throw<ArgumentOutOfRangeException>();
        b.Invoking(x => x.Detach(256, 0)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
