using FluentAssertions;
using KmodBalance.Harness.Measurement;
using Xunit;

namespace KmodBalance.Tests.Harness;

public class TcQdiscParserTests
{
    [Fact]
    public void Four_queue_tap_capture_maps_parent_1_to_queue_0()
    {
        TcQdiscParser.ParseMqChildPackets(Fixture.Read("host_tc_mq4_udp.txt"))
            .Should().Equal(new Dictionary<int, long> { [0] = 0, [1] = 603, [2] = 400, [3] = 600 });
    }

    [Fact]
    public void Guest_run_capture_before_and_after()
    {
        TcQdiscParser.ParseMqChildPackets(Fixture.Read("host_tc_mq4_guest_after.txt"))
            .Should().Equal(new Dictionary<int, long> { [0] = 7, [1] = 1500, [2] = 1312, [3] = 0 });
        TcQdiscParser.ParseMqChildPackets(Fixture.Read("host_tc_mq4_guest_before.txt")).Should().HaveCount(4);
    }

    [Fact]
    public void Sixteen_queues_use_hex_minor_numbers()
    {
        var packets = TcQdiscParser.ParseMqChildPackets(Fixture.Read("host_tc_mq16_udp.txt"));

        packets.Keys.Should().Equal(Enumerable.Range(0, 16));
        packets[9].Should().Be(0);   // parent :a
        packets[14].Should().Be(200); // parent :f
        packets[15].Should().Be(0);   // parent :10
        packets.Values.Sum().Should().Be(1602); // the mq root line of the capture says 1602 pkt
    }

    [Fact]
    public void Mq_with_handle_1_and_an_htb_child()
    {
        TcQdiscParser.ParseMqChildPackets(Fixture.Read("host_tc_mq_handle1_htb.txt"))
            .Should().Equal(new Dictionary<int, long> { [0] = 0, [1] = 600, [2] = 400, [3] = 600 });
    }

    [Fact]
    public void Fq_codel_children_with_extra_stat_lines_and_nested_qdiscs()
    {
        // Hand-written: fq_codel prints extra stats; a qdisc nested under an HTB class must not count.
        const string text = """
            qdisc mq 0: root
             Sent 3000 bytes 30 pkt (dropped 0, overlimits 0 requeues 0)
             backlog 0b 0p requeues 0
            qdisc fq_codel 0: parent :2 limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64
             Sent 2000 bytes 20 pkt (dropped 0, overlimits 0 requeues 0)
             backlog 0b 0p requeues 0
              maxpacket 0 drop_overlimit 0 new_flow_count 0 ecn_mark 0
              new_flows_len 0 old_flows_len 0
            qdisc fq_codel 0: parent :1 limit 10240p flows 1024 quantum 1514 target 5ms interval 100ms memory_limit 32Mb ecn drop_batch 64
             Sent 1000 bytes 10 pkt (dropped 0, overlimits 0 requeues 0)
             backlog 0b 0p requeues 0
              maxpacket 0 drop_overlimit 0 new_flow_count 0 ecn_mark 0
              new_flows_len 0 old_flows_len 0
            qdisc pfifo 8001: parent 11:1 limit 1000p
             Sent 999 bytes 99 pkt (dropped 0, overlimits 0 requeues 0)
            """;
        TcQdiscParser.ParseMqChildPackets(text).Should().Equal(new Dictionary<int, long> { [0] = 10, [1] = 20 });
    }

    [Theory]
    [InlineData("qdisc noop 0: root refcnt 2\n")]
    [InlineData("qdisc pfifo_fast 0: root refcnt 2 bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1\n Sent 0 bytes 0 pkt (dropped 0, overlimits 0 requeues 0)\n")]
    [InlineData("Cannot find device \"tap0\"\n")]
    public void No_mq_root_throws(string text) =>
        FluentActions.Invoking(() => TcQdiscParser.ParseMqChildPackets(text)).Should().Throw<FormatException>().WithMessage("*mq*root*");

    [Fact]
    public void Output_without_statistics_throws()
    {
        const string text = "qdisc mq 0: root\nqdisc pfifo_fast 0: parent :1 bands 3 priomap 1 2 2 2 1 2 0 0 1 1 1 1 1 1 1 1\n";
        FluentActions.Invoking(() => TcQdiscParser.ParseMqChildPackets(text)).Should().Throw<FormatException>().WithMessage("*-s*");
    }
}
