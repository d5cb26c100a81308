using System.Xml.Linq;
using FluentAssertions;
using KmodBalance.Harness.Check;
using KmodBalance.Harness.Reporting;
using KmodBalance.Tests.Lab;
using KmodBalance.Tests.Support;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Check;

/// <summary>
/// `kmb lab check --kernel debug --scenario stress --stress short` end to end: the dynamic module
/// built against the debug kernel (KASAN, lockdep, PROVE_RCU, kmemleak, UBSAN) and every step of
/// vm-images/l1/stress.sh against it in L1, a tenth of the full counts. The debug kernel is built on
/// first use and cached in the state dir (README "Debug kernel and the stress": about 30 minutes
/// cold on 2 cores, so a cold CI run still ends well inside 90 minutes); warm, this test takes about
/// 4 minutes. That the production kernel cannot show kmemleak (an error naming --kernel debug) is
/// proven on captured output by StressJudgeTests.
/// </summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class StressIntegrationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_short_stress_on_the_debug_kernel_passes_every_step_with_a_clean_console()
    {
        var reportDir = _dir.Combine("stress");
        var run = await Processes.KmbAsync("lab", "check", "--policy", "dynamic", "--kernel", "debug", "--scenario", "stress", "--stress", "short",
            "--report", reportDir);
        output.WriteLine(run.StandardOutput);
        output.WriteLine(run.StandardError);

        var report = CheckReport.Json.Deserialize(await File.ReadAllTextAsync(Path.Combine(reportDir, "report.json")));
        report.Scenarios.Select(s => s.Name).Should().Equal(StressPlan.ScenarioName);
        var stress = report.Properties.Where(p => p.Scenario == StressPlan.ScenarioName).ToList();
        stress.Select(p => p.Property).Should().Equal(
            "queues-detached-and-attached-under-traffic", "tunables-and-balance-switched-under-traffic", "flood-then-every-flow-ages-out",
            "steering-ebpf-set-and-removed-under-traffic", "tap-deleted-under-traffic-then-rmmod", "netconsole-over-the-tap-under-traffic",
            "kmemleak-nothing-from-tun", "rmmod-succeeds-at-the-end", "debug-console-clean");
        report.Properties.Should().OnlyContain(p => p.Verdict == LabVerdicts.Pass,
            string.Join("\n", report.Properties.Where(p => p.Verdict != LabVerdicts.Pass).Select(p => $"{p.Property}: {p.Message}")));
        report.Environment.Should().ContainKey("debug").WhoseValue.Should().Contain("KASAN").And.Contain("PROVE_LOCKING").And.Contain("DEBUG_KMEMLEAK");
        run.ExitCode.Should().Be(0);
        File.Exists(Path.Combine(reportDir, "raw", "stress.txt")).Should().BeTrue();
        XDocument.Load(Path.Combine(reportDir, "junit.xml")).Descendants("testcase").Should().HaveCount(report.Properties.Count);
    }
}
