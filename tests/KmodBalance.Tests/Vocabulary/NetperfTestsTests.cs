using FluentAssertions;

namespace KmodBalance.Tests.Vocabulary;

public class NetperfTestsTests
{
    [Theory]
    [InlineData("tcp", NetperfTest.TcpStream, "TCP_STREAM")]
    [InlineData("udp", NetperfTest.UdpStream, "UDP_STREAM")]
    public void One_mapping_from_option_to_netperf(string option, NetperfTest test, string netperf)
    {
        NetperfTests.FromOption(option).Should().Be(test);
        test.NetperfName().Should().Be(netperf);
    }

    [Fact]
    public void Every_test_has_an_option_name() =>
        NetperfTests.OptionNames.Select(NetperfTests.FromOption).Should().BeEquivalentTo(Enum.GetValues<NetperfTest>());
}
