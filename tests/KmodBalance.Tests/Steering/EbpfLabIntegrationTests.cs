using CliWrap.Buffered;
using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Reporting;
using KmodBalance.Tests.Lab;
using KmodBalance.Tests.Support;
using Xunit;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Steering;

/// <summary>`kmb lab check --backend ebpf` end to end, short (about 70 s on a 2-core TCG runner: L1 boot with
/// Debian's own tun.ko, three scenarios): kmbsteer attached per tap (spread4), attached and cleared under traffic
/// (optin), refused on a single-queue tap (single-queue), each judged from kmbsteer's history. The full check
/// (7 scenarios) is `./kmb lab check --policy dynamic --backend ebpf`.</summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class EbpfLabIntegrationTests(ITestOutputHelper output) : IDisposable
{
    private static readonly string[] Scenarios = ["spread4", "optin", "single-queue"];
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Dynamic_on_the_stock_tun_with_kmbsteer_holds_its_properties_and_leaves_nothing_behind()
    {
        var reportDir = _dir.Combine("check");
        var run = await Processes.KmbAsync(["lab", "check", "--policy", "dynamic", "--backend", "ebpf", "--report", reportDir,
            .. Scenarios.SelectMany(s => new[] { "--scenario", s })]);
        output.WriteLine(run.StandardOutput);
        output.WriteLine(run.StandardError);

        var report = CheckReport.Json.Deserialize(await File.ReadAllTextAsync(Path.Combine(reportDir, "report.json")));
        run.ExitCode.Should().Be(0, string.Join("\n", report.Properties.Where(p => p.Verdict != LabVerdicts.Pass).Select(p => $"{p.Scenario}/{p.Property}: {p.Message}")));
        run.StandardOutput.Should().Contain("CHECK PASS policy=dynamic").And.Contain("backend=ebpf");
        report.Environment["backend"].Should().StartWith("ebpf:");
        report.Balancing.Should().Contain("kmbsteer");
        var expected = CheckScenarios.For(Policy.Dynamic).Where(s => Scenarios.Contains(s.Name))
            .SelectMany(s => s.Properties.Select(p => (s.Name, p))).Append(("l1", CheckReport.ConsoleProperty));
        report.Properties.Select(p => (p.Scenario, p.Property)).Should().Equal(expected);
        report.Properties.Should().OnlyContain(p => p.Verdict == LabVerdicts.Pass);
        var spread = report.Scenarios.Single(s => s.Name == "spread4");
        spread.Mqtap!.Stats.Should().Contain(x => !x.Stats.Off && x.Stats.Policy == "dynamic" && x.Stats.Queues.Count == 4,
            "kmbsteer's remaps are the samples");
        File.ReadAllText(Path.Combine(reportDir, "raw", "single-queue.txt")).Should().Contain("is a single-queue device");
        File.ReadAllText(Path.Combine(reportDir, "raw", "optin.txt")).Should().Contain("detach t_ns=").And.Contain("is stock again");

        // Nothing left behind: the run's netns and its QEMU are gone.
        await LabLeftovers.AssertNoneAsync(run.StandardError);
    }
}
