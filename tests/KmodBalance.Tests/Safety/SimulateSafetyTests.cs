using FluentAssertions;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Safety;

/// <summary>`kmb simulate` ends on any trace, and writes its outputs without following planted links.</summary>
public class SimulateSafetyTests
{
    private const string Header = "time_us,src,dst,sport,dport,proto,size\n";

    [Fact]
    public async Task A_trace_time_beyond_the_limit_exits_2_naming_the_limit()
    {
        using var temp = new TempDir();
        var trace = temp.Combine("t.csv");
        File.WriteAllText(trace, Header + "0,10.0.0.1,10.0.0.2,1,2,tcp,1500\n18446744073709551615,10.0.0.1,10.0.0.2,1,2,tcp,1500\n");

        var run = await Kmb.RunAsync("simulate", "--trace", trace, "--runs", "1");

        run.ExitCode.Should().Be(2);
        run.StandardError.Should().Contain("line 3").And.Contain("3600000000").And.Contain("one hour");
    }

    [Fact]
    public async Task A_symlink_planted_at_the_old_temporary_names_is_not_written_through()
    {
        using var temp = new TempDir();
        var victim = temp.Combine("victim");
        File.WriteAllText(victim, "precious");
        var json = temp.Combine("sim.json");
        var png = temp.Combine("sim.png");
        File.CreateSymbolicLink(json + ".tmp", victim);
        File.CreateSymbolicLink(png + ".tmp.png", victim);

        var run = await Kmb.RunAsync("simulate", "--scenario", "paper", "--runs", "1", "--policy", "hash", "--json", json, "--plot", png);

        run.ExitCode.Should().Be(0, run.StandardError);
        File.ReadAllText(victim).Should().Be("precious");
        File.ReadAllText(json).Should().Contain("\"scenario\": \"paper\"");
        Directory.GetFileSystemEntries(temp.Path).Select(Path.GetFileName).Should()
            .BeEquivalentTo("victim", "sim.json", "sim.png", "sim.json.tmp", "sim.png.tmp.png");
    }
}
