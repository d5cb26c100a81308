using FluentAssertions;
using KmodBalance.Harness.Measurement;

namespace KmodBalance.Tests.Capacity;

/// <summary>The guest's TCP counters from /proc/net/netstat and /proc/net/snmp (files written by hand in
/// the kernel's "Group: names" / "Group: values" format, abridged).</summary>
public class TcpCountersTests
{
    private static string Read(long ofo, long sack, long ts, long retrans) => $"""
        TcpExt: SyncookiesSent TCPOFOQueue TCPSACKReorder TCPTSReorder TCPOFODrop
        TcpExt: 0 {ofo} {sack} {ts} 0
        IpExt: InNoRoutes InOctets
        IpExt: 0 123456
        ### kmb-snmp
        Ip: Forwarding DefaultTTL
        Ip: 2 64
        Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens RetransSegs InErrs
        Tcp: 1 200 120000 -1 204 {retrans} 0
        Udp: InDatagrams NoPorts
        Udp: 5 0

        """;

    [Fact]
    public void The_four_counters_are_read_and_their_deltas_taken()
    {
        var before = TcpCounters.Parse(Read(10, 2, 1, 21));
        var after = TcpCounters.Parse(Read(250, 7, 4, 60));

        before.Should().Be(new TcpCounters(10, 2, 1, 21));
        after.Since(before).Should().Be(new TcpCounters(240, 5, 3, 39));
    }

    [Fact]
    public void A_missing_counter_is_named()
    {
        var act = () => TcpCounters.Parse(Read(1, 2, 3, 4).Replace("TCPTSReorder", "TCPXReorder", StringComparison.Ordinal));

        act.Should().Throw<FormatException>().WithMessage("no TcpExt TCPTSReorder counter");
    }

    [Fact]
    public void Output_without_the_snmp_part_or_with_a_header_missing_its_values_is_refused()
    {
        var text = Read(1, 2, 3, 4);
        ((Action)(() => TcpCounters.Parse(text[..text.IndexOf("### kmb-snmp", StringComparison.Ordinal)]))).Should().Throw<FormatException>();
        ((Action)(() => TcpCounters.Mib("TcpExt: A B\nIpExt: 1 2\n"))).Should().Throw<FormatException>().WithMessage("*not followed by its values*");
        ((Action)(() => TcpCounters.Mib("TcpExt: A B\n"))).Should().Throw<FormatException>().WithMessage("*no value line*");
    }
}
