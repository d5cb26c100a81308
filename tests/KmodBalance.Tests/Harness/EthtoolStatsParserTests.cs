using FluentAssertions;
using KmodBalance.Harness.Measurement;
using Xunit;

namespace KmodBalance.Tests.Harness;

public class EthtoolStatsParserTests
{
    [Fact]
    public void Virtio_net_capture_reads_rx_queue_packets_only()
    {
        var after = EthtoolStatsParser.ParseRxQueuePackets(Fixture.Read("guest_ethtool_S_after.txt"));

        // rx_queue_K_xdp_packets and tx_queue_K_packets must not leak in.
        after.Should().Equal(new Dictionary<int, long> { [0] = 4, [1] = 1256, [2] = 1255, [3] = 0 });
    }

    [Fact]
    public void RxK_packets_naming_is_accepted()
    {
        // Hand-written in the mlx5 style.
        const string text = """
            NIC statistics:
                 rx_packets: 900
                 rx0_packets: 500
                 rx0_bytes: 750000
                 rx1_packets: 400
                 rx0_xdp_drop: 0
                 tx0_packets: 12
            """;
        EthtoolStatsParser.ParseRxQueuePackets(text).Should().Equal(new Dictionary<int, long> { [0] = 500, [1] = 400 });
    }

    [Fact]
    public void No_stats_gives_empty_map() =>
        EthtoolStatsParser.ParseRxQueuePackets("no stats available\n").Should().BeEmpty();
}
