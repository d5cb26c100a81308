using CliWrap.Buffered;
using FluentAssertions;
using KmodBalance.Harness.Compare;
using KmodBalance.Harness.Reporting;
using KmodBalance.Tests.Support;
using Xunit.Abstractions;

namespace KmodBalance.Tests.Lab;

/// <summary>The short compare CI runs on every submission: 2 fresh-boot trials of 3 s UDP per policy
/// (about 5 minutes here). UDP has no reverse traffic, so stock tun cannot learn flows and hashes
/// like `hash`; whether those two collide depends on each boot's hash seed, so only dynamic's spread
/// is asserted, and the rest is asserted as the shape of the report.</summary>
[Trait("Category", "Lab")]
[Collection(LabCollection.Name)]
public sealed class LabCompareIntegrationTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_short_udp_compare_reports_every_trial_and_dynamic_uses_every_queue_in_each()
    {
        var reportDir = _dir.Combine("compare");

        var run = await Processes.KmbAsync("lab", "compare", "--policies", "stock,hash,dynamic", "--trials", "2", "--duration", "3",
            "--test", "udp", "--report", reportDir);
        output.WriteLine(run.StandardOutput);
        output.WriteLine(run.StandardError);
        // Boots that failed (even when their retry worked) keep their consoles in the report, which
        // is a temp dir: put their tails in the test log, where CI keeps them.
        var consoles = Path.Combine(reportDir, ReportDirectory.ConsolesDir);
        if (Directory.Exists(consoles))
            foreach (var log in Directory.GetFiles(consoles).Order())
                output.WriteLine($"==> {Path.GetFileName(log)} (tail)\n{Tail(await File.ReadAllTextAsync(log))}");

        run.ExitCode.Should().Be(0);
        run.StandardOutput.Should().Contain("COMPARE COMPLETE trials=6");
        var report = CompareReport.Json.Deserialize(await File.ReadAllTextAsync(Path.Combine(reportDir, "report.json")));
        // compare boots a trial again after a lab error (its boot stalled): never silent in CI's output
        foreach (var t in report.Trials.Where(t => t.Attempts > 1))
            output.WriteLine($"RETRIED: compare trial {t.Slot} ({t.Policy} #{t.Trial}) took {t.Attempts} boots: " +
                             string.Join("; ", t.FailedAttempts.Select(a => $"boot {a.Attempt}: {a.Error}")));
        report.Trials.Should().HaveCount(6).And.OnlyContain(t => t.Measured && t.TotalMbps > 0);
        report.Trials.Select(t => t.Slot).Should().Equal(1, 2, 3, 4, 5, 6);
        foreach (var t in report.Trials)
            t.GuestShares.Sum().Should().BeApproximately(1, 0.01, $"{t.Policy} #{t.Trial} shares");
        report.Trials.Where(t => t.Policy == "dynamic").Should().OnlyContain(t => t.QueuesUsed == 4 && t.Migrations != null);
        report.Trials.Where(t => t.Policy != "dynamic").Should().OnlyContain(t => t.Migrations == null);
        report.Summaries.Select(s => s.Policy).Should().Equal("stock", "hash", "dynamic");
        report.Summaries.Single(s => s.Policy == "dynamic").AllQueuesUsedShare.Should().Be(1);
        report.Ratios.Select(r => r.Denominator).Should().Equal("hash", "stock");
        foreach (var f in new[] { "summary.md", "junit.xml", TrialCharts.PerTrialFile, TrialCharts.MeanFile, CompareCharts.HeatmapFile })
            File.Exists(Path.Combine(reportDir, f)).Should().BeTrue(f);

        var created = System.Text.RegularExpressions.Regex.Matches(run.StandardError, @"deleted netns (kmb-lab-\d+)")
            .Select(m => m.Groups[1].Value).Distinct().ToList();
        created.Should().ContainSingle("every trial reuses the run's netns name");
        var netns = await CliWrap.Cli.Wrap("ip").WithArguments(["netns", "list"]).ExecuteBufferedAsync();
        netns.StandardOutput.Should().NotContain(created[0]);
        // Only this run's QEMUs: other lab runs may share the host.
        var killed = System.Text.RegularExpressions.Regex.Matches(run.StandardError, @"killed L1 QEMU \(pid (\d+)\)")
            .Select(m => int.Parse(m.Groups[1].Value)).ToList();
        killed.Should().HaveCountGreaterThanOrEqualTo(6, "each trial (and each retry) boots and kills its own L1");
        killed.Should().OnlyContain(pid => !Directory.Exists($"/proc/{pid}"));
    }

    private static string Tail(string text) => text.Length <= 4000 ? text : text[^4000..];
}
