using System.Text.RegularExpressions;
using CliWrap.Buffered;
using FluentAssertions;

namespace KmodBalance.Tests.Support;

/// <summary>What a lab verb's cleanup lines (on stderr) say it removed is really gone: the run's one
/// netns (and with it its tap) and every L1 QEMU it started.</summary>
public static partial class LabLeftovers
{
    public static async Task AssertNoneAsync(string stderr)
    {
        var netns = NetnsPattern().Matches(stderr).Select(m => m.Groups[1].Value).Distinct().ToList();
        netns.Should().ContainSingle();
        var list = await CliWrap.Cli.Wrap("ip").WithArguments(["netns", "list"]).ExecuteBufferedAsync();
        list.StandardOutput.Should().NotContain(netns[0]);
        foreach (Match m in QemuPattern().Matches(stderr))
            Directory.Exists($"/proc/{m.Groups[1].Value}").Should().BeFalse("L1's QEMU was killed");
    }

    [GeneratedRegex(@"deleted netns (kmb-lab-\d+)")]
    private static partial Regex NetnsPattern();

    [GeneratedRegex(@"killed L1 QEMU \(pid (\d+)\)")]
    private static partial Regex QemuPattern();
}
