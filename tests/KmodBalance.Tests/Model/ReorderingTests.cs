using System.Net;
using FluentAssertions;
using KmodBalance.Model.Balancing;
using KmodBalance.Model.Simulation;
using Xunit;

namespace KmodBalance.Tests.Model;

/// <summary>The simulator's FIFO rings: a packet that overtakes an earlier one of its flow counts as reordered.</summary>
public class ReorderingTests
{
    /// <summary>Steers by flow (in order of first appearance) and packet number through a script.</summary>
    private sealed class Scripted(Func<int, int, ushort> queueOf) : IQueueSelector
    {
        private readonly Dictionary<uint, (int Flow, int Packets)> _seen = [];

        public string Name => "scripted";

        public ushort Select(uint hash, uint segments, uint queueCount, ulong now = 0)
        {
            if (!_seen.TryGetValue(hash, out var s))
                s = (_seen.Count, 0);
            _seen[hash] = (s.Flow, s.Packets + 1);
            return queueOf(s.Flow, s.Packets);
        }

        public void EndPeriod(uint queueCount) { }

        public void GuestSent(uint hash, ushort queue, ulong now = 0) { }
    }

    /// <summary>Flow Y puts 20 x 64 KiB on its queue at 0 us (about 700 us of work); flow X sends at 10 and 20 us.</summary>
    private static IReadOnlyList<TracePacket> Trace()
    {
        var y = new FiveTuple(IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2"), 1000, 5001, FiveTuple.Tcp);
        var x = new FiveTuple(IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2"), 2000, 5001, FiveTuple.Tcp);
        return [.. Enumerable.Range(0, 20).Select(_ => new TracePacket(0, y, 65536)),
            new TracePacket(10, x, 65536), new TracePacket(20, x, 65536)];
    }

    private static RunMetrics Replay(Func<int, int, ushort> queueOf) =>
        Simulator.RunTrace(new Scripted(queueOf), Trace(), new SimulationOptions(Queues: 2, Runs: 1), hashSeed: 1);

    [Fact]
    public void A_packet_sent_to_an_idle_queue_overtakes_its_predecessor_waiting_behind_a_burst()
    {
        // X's first packet waits behind Y's burst on queue 0; its second goes to idle queue 1 and arrives first.
        var m = Replay((flow, packet) => flow == 1 && packet == 1 ? (ushort)1 : (ushort)0);
        m.Reordered.Should().Be(1);
        m.Migrations.Should().Be(1);
    }

    [Fact]
    public void The_same_move_after_the_burst_drained_reorders_nothing()
    {
        // Both of X's packets behind the burst on queue 0: in order. And moving all of X to queue 1: in order.
        Replay((_, _) => 0).Reordered.Should().Be(0);
        Replay((flow, _) => flow == 1 ? (ushort)1 : (ushort)0).Reordered.Should().Be(0);
    }

    [Fact]
    public void Packets_of_one_queue_never_overtake_each_other()
    {
        var report = Simulator.Run("elephants", [Policy.Hash, Policy.Stock], new SimulationOptions(Runs: 2, Seed: 3));
        report.Policies.SelectMany(p => p.Runs).Should().OnlyContain(r => r.Reordered == 0);
    }
}
