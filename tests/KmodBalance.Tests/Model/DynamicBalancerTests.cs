using CsCheck;
using FluentAssertions;
using KmodBalance.Model.Balancing;
using Xunit;

namespace KmodBalance.Tests.Model;

public class DynamicBalancerTests
{
    /// <summary>Sends <paramref name="packets"/> packets of flow <paramref name="hash"/>; returns the last answer.</summary>
    private static ushort Send(DynamicBalancer b, uint hash, int packets, uint n, uint len = 100)
    {
        ushort q = 0;
        for (int i = 0; i < packets; i++)
            q = b.Select(hash, len, n);
        return q;
    }

    [Fact]
    public void Four_new_flows_at_once_land_on_queues_0_1_2_3()
    {
        // All lastLoad are 0, so leastLoaded falls to (flows[q], q): each new flow takes the
        // queue with no flow and the lowest index.
        var b = new DynamicBalancer(threshold: 64);
        new[] { 0xDEADBEEFu, 7u, 0xFFFFFFFFu, 0u }.Select(h => b.Select(h, 1500, 4))
            .Should().Equal((ushort)0, (ushort)1, (ushort)2, (ushort)3);
        b.FlowCount.Should().Be(4);
        Enumerable.Range(0, 4).Select(b.FlowsOnQueue).Should().AllBeEquivalentTo(1u);
        // A fifth ties on (0, 1) everywhere: lowest index.
        b.Select(42, 1500, 4).Should().Be(0);
    }

    [Fact]
    public void A_known_flow_keeps_its_queue_and_counts_packets_and_bytes()
    {
        var b = new DynamicBalancer(64);
        b.Select(5, 100, 4, now: 10).Should().Be(0);
        b.Select(6, 100, 4, now: 11).Should().Be(1);
        b.Select(5, 200, 4, now: 12).Should().Be(0);
        b.TryGetFlow(5, out var f).Should().BeTrue();
        f.Should().Be(new FlowState(Queue: 0, Packets: 2, Bytes: 300, Updated: 12));
        b.FlowQueues.Should().BeEquivalentTo(new Dictionary<uint, ushort> { [5] = 0, [6] = 1 });
    }

    [Fact]
    public void Zero_queues_answers_0_and_records_nothing()
    {
        var b = new DynamicBalancer(64);
        b.Select(123, 1500, 0).Should().Be(0);
        b.FlowCount.Should().Be(0);
        b.FlowQueues.Should().BeEmpty();
    }

    [Fact]
    public void Full_table_falls_back_to_hash_and_counts_nothing()
    {
        var b = new DynamicBalancer(64, maxFlows: 2);
        b.Select(1, 100, 4).Should().Be(0);
        b.Select(2, 100, 4).Should().Be(1);
        // Case 5: (u64)0xC0000000 * 4 >> 32 = 3 (the least-loaded queue would be 2).
        b.Select(0xC0000000, 100, 4).Should().Be(3);
        b.Select(0xC0000000, 100, 4).Should().Be(3);
        b.FlowCount.Should().Be(2);
        b.FlowQueues.Should().NotContainKey(0xC0000000);
        b.FlowsOnQueue(3).Should().Be(0);
    }

    [Fact]
    public void A_flow_on_a_detached_queue_is_re_placed_on_the_least_loaded_live_queue()
    {
        var b = new DynamicBalancer(64);
        for (uint h = 10; h < 14; h++)
            b.Select(h, 100, 4);                     // 10..13 on 0..3
        b.Select(11, 100, 4);                        // 11 stays on 1
        // n shrinks to 2: flow 13 (queue 3 >= 2) is re-placed. lastLoad is 0 everywhere and
        // flows[0] = flows[1] = 1, so queue 0 wins on index.
        b.Select(13, 100, 2).Should().Be(0);
        b.FlowsOnQueue(3).Should().Be(0);
        b.FlowsOnQueue(0).Should().Be(2);
        // Flow 12 (queue 2) next: flows[0] = 2 > flows[1] = 1, so queue 1.
        b.Select(12, 100, 2).Should().Be(1);
        b.TryGetFlow(13, out var f).Should().BeTrue();
        f.Packets.Should().Be(2);
    }

    [Fact]
    public void Remap_moves_from_the_heaviest_to_the_lightest_within_the_budget()
    {
        // n = 1 puts every flow on queue 0; then remap with n = 2 (queue 1 empty).
        var b = new DynamicBalancer(threshold: 10);
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
        b.FlowsOnQueue(0).Should().Be(3u);
        b.FlowsOnQueue(1).Should().Be(1u);
        b.TryGetFlow(1, out var f).Should().BeTrue();
        f.Packets.Should().Be(0, "step 6 resets every flow's packets");
        // The mapper now prefers queue 1: lastLoad 30 < 35.
        b.Select(99, 100, 2).Should().Be(1);
    }

    [Fact]
    public void Remap_walks_equal_flows_by_hash_ascending()
    {
        var b = new DynamicBalancer(threshold: 0);
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
        var b = new DynamicBalancer(threshold: 16);
        for (uint h = 100; h < 104; h++)
            b.Select(h, 100, 4);                     // 100..103 on 0..3 (1 packet each)
        b.Select(104, 100, 4).Should().Be(0);        // flows = [1,1,1,1] -> 0
        b.Select(105, 100, 4).Should().Be(1);        // flows = [2,1,1,1] -> 1
        Send(b, 100, 49, 4);                         // q0: 100 has 50
        Send(b, 104, 29, 4);                         // q0: 104 has 30 -> load 80
        Send(b, 101, 9, 4);                          // q1: 101 has 10
        Send(b, 105, 4, 4);                          // q1: 105 has 5  -> load 15
        Send(b, 102, 59, 4);                         // q2: 102 has 60 -> load 60
        Send(b, 103, 19, 4);                         // q3: 103 has 20 -> load 20
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
        var b = new DynamicBalancer(threshold: 20);
        Send(b, 1, 15, 1);
        Send(b, 2, 5, 1);
        b.Remap(2);                                  // 20 - 0 = 20, not > 20
        b.LastRemap.Moves.Should().BeEmpty();
        b.Migrations.Should().Be(0u);
    }

    [Fact]
    public void Remap_drops_idle_flows_and_flows_on_detached_queues()
    {
        var b = new DynamicBalancer(64);
        for (uint h = 1; h <= 4; h++)
            b.Select(h, 100, 4);                     // 1..4 on 0..3
        b.Remap(4);                                  // all had a packet: all kept, packets -> 0
        b.FlowCount.Should().Be(4);
        b.Select(1, 100, 4);
        b.Select(4, 100, 4);
        b.Remap(2);                                  // 2, 3 idle; 4 on queue 3 >= 2
        b.LastRemap.Dropped.Should().Equal(2u, 3u, 4u);
        b.FlowQueues.Keys.Should().Equal(1u);
        b.FlowCount.Should().Be(1);
        Enumerable.Range(0, 4).Select(b.FlowsOnQueue).Should().Equal(1u, 0u, 0u, 0u);
        Enumerable.Range(0, 4).Select(b.LastLoad).Should().Equal(1u, 0u, 0u, 0u);
    }

    [Fact]
    public void A_lone_flow_on_its_queue_is_never_moved()
    {
        // H holds one flow with p packets, so load(H) = p and M = (p - load(L)) / 2 < p.
        Gen.Select(Gen.UInt[1, 2000], Gen.UInt[1, 2000], Gen.UInt[0, 100]).Sample((p, l, threshold) =>
        {
            var b = new DynamicBalancer(threshold);
            b.Select(1, 100, 2).Should().Be(0);
            b.Select(2, 100, 2).Should().Be(1);
            Send(b, 1, (int)p - 1, 2);
            Send(b, 2, (int)l - 1, 2);
            b.Remap(2);
            b.LastRemap.Moves.Should().BeEmpty();
            b.FlowQueues[1].Should().Be(0);
            b.FlowQueues[2].Should().Be(1);
        }, iter: 300);
    }

    [Fact]
    public void Counters_wrap_like_u32()
    {
        var b = new DynamicBalancer(threshold: uint.MaxValue);
        b.Select(1, uint.MaxValue, 1);
        b.Select(1, 2, 1);
        b.TryGetFlow(1, out var f).Should().BeTrue();
        f.Bytes.Should().Be(1u, "0xFFFFFFFF + 2 wraps to 1");
        b.Remap(2);
        b.LastRemap.Moves.Should().BeEmpty("no difference exceeds u32 max");
    }

    [Fact]
    public void More_than_256_queues_is_refused()
    {
        var b = new DynamicBalancer(64);
        b.Invoking(x => x.Select(1, 1, 257)).Should().Throw<ArgumentOutOfRangeException>();
        b.Invoking(x => x.Remap(257)).Should().Throw<ArgumentOutOfRangeException>();
    }
}
