using System.Xml.Linq;
using CliWrap;
using CliWrap.Buffered;
using FluentAssertions;
using KmodBalance.Harness.Capacity;
using KmodBalance.Harness.Reporting;
using KmodBalance.Tests.Lab;
using KmodBalance.Tests.Support;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Capacity;

/// <summary>`kmb lab capacity` end to end, as CI runs it: one L1 boot, hash and dynamic loaded in turn, two
/// one-second trials each (about 90 s on a 2-core TCG runner, most of it the L1 boot). Asserts what the
/// report must hold and what the policies must do with the emulated vCPUs, never how fast; not retried.
/// Needs root and the packages of setup/install-deps.sh; run with --filter Category=Lab.</summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class LabCapacityIntegrationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Hash_and_dynamic_are_measured_in_one_boot_and_the_lab_is_left_clean()
    {
        var reportDir = _dir.Combine("capacity");
        var run = await Processes.KmbAsync("lab", "capacity", "--policies", "hash,dynamic", "--trials", "2", "--duration", "1", "--report", reportDir);
        output.WriteLine(run.StandardOutput);
        output.WriteLine(run.StandardError);

        var report = CapacityReport.Json.Deserialize(await File.ReadAllTextAsync(Path.Combine(reportDir, "report.json")));
        run.ExitCode.Should().Be(0, report.Error ?? string.Join("; ", report.Trials.Select(t => t.Error).OfType<string>()));
        report.Verdict.Should().Be(LabVerdicts.Complete);
        report.Trials.Select(t => t.Policy).Should().Equal("hash", "dynamic", "dynamic", "hash");
        report.Trials.Select(t => string.Join(',', t.Ports)).Distinct().Should().HaveCount(4, "fresh source ports per trial");
        foreach (var t in report.Trials)
        {
            t.Delivered.Should().BeGreaterThan(0);
            t.Sent.Should().Be(report.Flows * report.FlowPps * report.DurationSeconds);
            (t.Delivered + t.Drops).Should().Be(t.Sent);
            t.QueueShares.Should().HaveCount(report.Queues);
            t.QueueShares.Sum().Should().BeApproximately(1, 0.001);
            t.Balancing.Should().Be($"on (policy {t.Policy})", "the balancer is on for the tap, as in lab run");
            File.Exists(Path.Combine(reportDir, "raw", $"{t.Slot:D3}-{t.Policy}-{t.Trial}.txt")).Should().BeTrue();
            // a queue serves at most its rate over the window (plus its bucket): the bottleneck is there
            var window = report.DurationSeconds + CapacityOptions.GraceMs / 1000.0;
            t.QueueShares.Select(s => s * t.Delivered).Should().OnlyContain(n => n <= report.ServicePps * window + 8 + 0.5);
        }
        foreach (var t in report.Trials.Where(t => t.Policy == "hash"))
            (t.Reordered, t.Migrations, t.QueueChanges).Should().Be((0L, 0L, 0L), "hash never moves a flow");
        // dynamic admits a flow on its second datagram; after that nothing moves without a remap
        foreach (var t in report.Trials.Where(t => t.Policy == "dynamic"))
            t.QueueChanges.Should().BeLessThanOrEqualTo(report.Flows + t.Migrations);
        report.Summaries.Select(s => s.Policy).Should().Equal("hash", "dynamic");
        report.Ratios.Should().ContainSingle(r => r.Numerator == "dynamic" && r.Denominator == "hash");

        XDocument.Load(Path.Combine(reportDir, "junit.xml")).Descendants("testcase").Should().HaveCount(4);
        File.ReadAllText(Path.Combine(reportDir, "summary.md")).Should().Contain("**dynamic/hash**");
        foreach (var png in new[] { TrialCharts.PerTrialFile, TrialCharts.MeanFile, CapacityCharts.ReorderFile })
            File.Exists(Path.Combine(reportDir, png)).Should().BeTrue(png);
        File.ReadAllText(Path.Combine(reportDir, "consoles", "l1.log")).Should().Contain("KMB-READY");
        run.StandardOutput.Should().Contain("CAPACITY COMPLETE trials=4");

        // Nothing left behind: the run's netns and its QEMU are gone.
        await LabLeftovers.AssertNoneAsync(run.StandardError);
    }
}
