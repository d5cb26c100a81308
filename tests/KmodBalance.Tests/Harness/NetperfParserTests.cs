using FluentAssertions;
using KmodBalance.Harness.Measurement;
using Xunit;

namespace KmodBalance.Tests.Harness;

public class NetperfParserTests
{
    [Theory]
    [InlineData("netperf_tcp_default.txt", 19037.59)]
    [InlineData("netperf_tcp_P0.txt", 22938.19)]
    [InlineData("netperf_tcp_cpu.txt", 20841.78)]   // -c -C: more columns after throughput
    [InlineData("netperf_tcp_ports.txt", 0.0)]      // -- -P 50001,50001 (real capture; 0.00 over loopback)
    [InlineData("netperf_tcp_fg.txt", 17220.0)]     // -f g: 10^9bits/sec
    public void Tcp_stream_captures(string fixture, double expectedMbps) =>
        NetperfParser.ParseThroughputMbps(Fixture.Read(fixture), NetperfTest.TcpStream).Should().BeApproximately(expectedMbps, 1e-6);

    [Fact]
    public void Tcp_MBytes_per_sec_is_converted_from_binary_megabytes() =>
        NetperfParser.ParseThroughputMbps(Fixture.Read("netperf_tcp_fM.txt"), NetperfTest.TcpStream)
            .Should().BeApproximately(2139.27 * 1048576 * 8 / 1e6, 1e-6);

    [Theory]
    [InlineData("netperf_udp_default.txt", 2772.21)]
    [InlineData("netperf_udp_P0.txt", 2602.63)]
    [InlineData("netperf_udp_ports.txt", 2849.60)]
    [InlineData("netperf_udp_cpu.txt", 2349.6)]
    [InlineData("netperf_udp_cpu_P0.txt", 2295.7)]
    public void Udp_stream_uses_the_receive_side_line(string fixture, double expectedMbps) =>
        NetperfParser.ParseThroughputMbps(Fixture.Read(fixture), NetperfTest.UdpStream).Should().BeApproximately(expectedMbps, 1e-6);

    // Like 03b_netperf_run.sh's per-flow files when several runs' outputs end up in one capture.
    private static string ConcatenatedRuns() => string.Concat(
        new[] { "netperf_tcp_default.txt", "netperf_tcp_ports.txt", "netperf_tcp_fg.txt" }
            .Select((f, i) => $"### flow {i + 1}\n{Fixture.Read(f)}\n"));

    [Fact]
    public void Per_flow_blocks_of_a_concatenated_capture_parse()
    {
        var flows = ConcatenatedRuns()
            .Split("### flow", StringSplitOptions.RemoveEmptyEntries)
            .Select(block => NetperfParser.ParseThroughputMbps(block, NetperfTest.TcpStream))
            .ToList();
        flows.Should().HaveCount(3);
        flows[0].Should().BeApproximately(19037.59, 1e-6);
        flows[1].Should().Be(0);
        flows[2].Should().BeApproximately(17220.0, 1e-6);
    }

    [Fact]
    public void Concatenated_runs_are_rejected() =>
        FluentActions.Invoking(() => NetperfParser.ParseThroughputMbps(ConcatenatedRuns(), NetperfTest.TcpStream))
            .Should().Throw<FormatException>().WithMessage("*3 result lines*exactly one run*");

    [Fact]
    public void No_netserver_throws_with_the_output_in_the_message() =>
        FluentActions.Invoking(() => NetperfParser.ParseThroughputMbps(Fixture.Read("netperf_tcp_noserver.txt"), NetperfTest.TcpStream))
            .Should().Throw<FormatException>().WithMessage("*no result line*establish control*");

    [Theory]
    [InlineData("")]
    [InlineData("netperf: send_omni: send_data failed: Connection reset by peer\n")]
    [InlineData("Recv   Send    Send\nSocket Socket  Message  Elapsed\n")]
    public void Malformed_tcp_output_throws(string output) =>
        FluentActions.Invoking(() => NetperfParser.ParseThroughputMbps(output, NetperfTest.TcpStream)).Should().Throw<FormatException>();

    [Fact]
    public void Udp_without_remote_line_throws()
    {
        const string output = "212992    1400   1.00       234471      0    2625.87\n";
        FluentActions.Invoking(() => NetperfParser.ParseThroughputMbps(output, NetperfTest.UdpStream))
            .Should().Throw<FormatException>().WithMessage("*receive-side*missing*");
    }

    [Fact]
    public void Tcp_result_line_with_too_few_columns_throws() =>
        FluentActions.Invoking(() => NetperfParser.ParseThroughputMbps("131072  16384  16384    5.13\n", NetperfTest.TcpStream))
            .Should().Throw<FormatException>();
}
