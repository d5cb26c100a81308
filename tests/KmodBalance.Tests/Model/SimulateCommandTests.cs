using System.CommandLine;
using FluentAssertions;
using KmodBalance.Tests.Support;
using Xunit;

namespace KmodBalance.Tests.Model;

/// <summary>Drives the CLI verb in-process (it is internal to kmb, so through reflection).</summary>
public sealed class SimulateCommandTests : IDisposable
{
    // one directory per test (xunit makes an instance per test), removed after it
    private readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    private static int Invoke(params string[] args)
    {
        var type = Type.GetType("KmodBalance.Cli.Commands.SimulateCommand, kmb", throwOnError: true)!;
        var command = (Command)type.GetMethod("Create")!.Invoke(null, null)!;
        return command.Parse(args).Invoke();
    }

    [Theory]
    [InlineData("--scenario", "nope")]
    [InlineData("--queues", "0")]
    [InlineData("--period-ms", "0")]
    [InlineData("--period-ms", "5")]
    [InlineData("--policy", "random")]
    public void Bad_input_exits_2_and_writes_nothing(string option, string value)
    {
        var dir = _temp.Path;
        var json = Path.Combine(dir, "sim.json");
        var png = Path.Combine(dir, "sim.png");
        Invoke(option, value, "--runs", "1", "--json", json, "--plot", png).Should().Be(2);
        Directory.EnumerateFileSystemEntries(dir).Should().BeEmpty();
    }

    [Fact]
    public void A_malformed_trace_exits_2_and_writes_nothing()
    {
        var dir = _temp.Path;
        var trace = Path.Combine(dir, "t.csv");
        File.WriteAllText(trace, "time_us,src,dst,sport,dport,proto,size\n1,10.0.0.1,10.0.0.2,1,2,tcp\n");
        var json = Path.Combine(dir, "sim.json");
        Invoke("--trace", trace, "--runs", "1", "--json", json).Should().Be(2);
        File.Exists(json).Should().BeFalse();
    }

    [Fact]
    public void A_good_run_writes_json_and_plot()
    {
        var dir = _temp.Path;
        var json = Path.Combine(dir, "sim.json");
        var png = Path.Combine(dir, "sim.png");
        Invoke("--scenario", "paper", "--runs", "2", "--json", json, "--plot", png).Should().Be(0);
        File.ReadAllText(json).Should().Contain("\"policies\"");
        new FileInfo(png).Length.Should().BeGreaterThan(1000);
        Directory.EnumerateFiles(dir).Should().HaveCount(2, "no temporary files are left");
    }
}
