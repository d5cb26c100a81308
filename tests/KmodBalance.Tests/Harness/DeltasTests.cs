using FluentAssertions;
using KmodBalance.Harness.Measurement;
using Xunit;

namespace KmodBalance.Tests.Harness;

public class DeltasTests
{
    private static QueueSnapshot Snapshot(string interrupts, string ethtool, string tc) => new(
        InterruptsParser.ParseVirtioInputQueues(Fixture.Read(interrupts), VirtioIndex.Parse(Fixture.Read("guest_readlink_eth0_device.txt"))),
        EthtoolStatsParser.ParseRxQueuePackets(Fixture.Read(ethtool)),
        TcQdiscParser.ParseMqChildPackets(Fixture.Read(tc)));

    [Fact]
    public void Captured_guest_run_before_and_after()
    {
        var before = Snapshot("guest_virtio1_interrupts_before.txt", "guest_ethtool_S_before.txt", "host_tc_mq4_guest_before.txt");
        var after = Snapshot("guest_virtio1_interrupts_after.txt", "guest_ethtool_S_after.txt", "host_tc_mq4_guest_after.txt");

        var samples = Deltas.Compute(before, after, 4);

        samples.Should().Equal(
            new QueueSample(0, 2, 2, 1),
            new QueueSample(1, 2, 1256, 1500),
            new QueueSample(2, 3, 1253, 1309),
            new QueueSample(3, 0, 0, 0));
    }

    [Fact]
    public void Missing_queue_in_before_counts_as_zero_and_extra_queues_are_ignored()
    {
        var empty = new Dictionary<int, long>();
        var before = new QueueSnapshot(empty, new Dictionary<int, long> { [0] = 5 }, empty);
        var after = new QueueSnapshot(
            new Dictionary<int, long> { [0] = 1, [1] = 2, [7] = 99 },
            new Dictionary<int, long> { [0] = 15, [1] = 20 },
            new Dictionary<int, long> { [1] = 3 });

        Deltas.Compute(before, after, 3).Should().Equal(
            new QueueSample(0, 1, 10, 0),
            new QueueSample(1, 2, 20, 3),
            new QueueSample(2, 0, 0, 0));
    }

    [Fact]
    public void Counter_going_backwards_throws()
    {
        var empty = new Dictionary<int, long>();
        var before = new QueueSnapshot(empty, new Dictionary<int, long> { [1] = 500 }, empty);
        var after = new QueueSnapshot(empty, new Dictionary<int, long> { [1] = 20 }, empty);

        FluentActions.Invoking(() => Deltas.Compute(before, after, 2))
            .Should().Throw<ArgumentException>().WithMessage("*RxPackets of queue 1 went backwards*");
    }
}
