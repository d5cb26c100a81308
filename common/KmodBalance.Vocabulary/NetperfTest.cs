namespace KmodBalance.Vocabulary;

/// <summary>The traffic a lab verb drives into the guest: one netperf test.</summary>
public enum NetperfTest
{
    TcpStream,
    /// <summary>No reverse traffic, so stock tun cannot learn a flow's queue.</summary>
    UdpStream,
}

/// <summary>A test's two names: `--test tcp|udp` on the command line, TCP_STREAM|UDP_STREAM for netperf and in reports.</summary>
public static class NetperfTests
{
    /// <summary>What `--test` accepts.</summary>
    public static IReadOnlyList<string> OptionNames { get; } = ["tcp", "udp"];

    public static string NetperfName(this NetperfTest test) => test switch
    {
        NetperfTest.TcpStream => "TCP_STREAM",
        NetperfTest.UdpStream => "UDP_STREAM",
        _ => throw new ArgumentOutOfRangeException(nameof(test), test, null),
    };

    /// <summary>For a value of <see cref="OptionNames"/>, which the command line has already checked.</summary>
    /// <exception cref="ArgumentException">Not one of <see cref="OptionNames"/>.</exception>
    public static NetperfTest FromOption(string name) => name switch
    {
        "tcp" => NetperfTest.TcpStream,
        "udp" => NetperfTest.UdpStream,
        _ => throw new ArgumentException($"unknown test '{name}': use tcp or udp", nameof(name)),
    };
}
