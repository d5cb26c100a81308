using System.Xml.Linq;
using FluentAssertions;
using KmodBalance.Harness.Compare;
using KmodBalance.Harness.Reporting;
using KmodBalance.Tests.Support;
using static KmodBalance.Tests.Compare.TrialFactory;

namespace KmodBalance.Tests.Compare;

public class CompareReportWriterTests
{
    private static CompareReport Report(IReadOnlyList<TrialResult> trials, string? error = null)
    {
        string[] policies = ["hash", "dynamic"];
        var summaries = policies.Select(p => CompareStatistics.Summarise(p, trials, 4)).ToList();
        var verdict = error is not null ? LabVerdicts.Error : trials.All(t => t.Measured) ? LabVerdicts.Complete : LabVerdicts.Incomplete;
        return new CompareReport(verdict, policies, "UDP_STREAM", 4, 3, 4, 2, summaries, CompareStatistics.DynamicRatios(summaries),
            trials, [], 123.4, error, new Dictionary<string, string> { ["accel"] = "l1=tcg,l2=kvm" });
    }

    private static readonly TrialResult[] TwoEach =
    [
        Measured("hash", 1, 80, queuesUsed: 3, shares: [0.5, 0, 0.25, 0.25]), Measured("dynamic", 1, 100, migrations: 2),
        Measured("dynamic", 2, 104, migrations: 0), Measured("hash", 2, 90),
    ];

    [Fact]
    public async Task Writes_every_file_and_a_report_json_that_reads_back()
    {
        using var dir = new TempDir();
        var target = Path.Combine(dir.Path, "cmp");

        await CompareReportWriter.WriteAsync(target, Report(TwoEach), new Dictionary<string, string>());

        Directory.GetFiles(target).Select(Path.GetFileName).Should().BeEquivalentTo(
            "report.json", "summary.md", "junit.xml", TrialCharts.PerTrialFile, TrialCharts.MeanFile, CompareCharts.HeatmapFile);
        var back = CompareReport.Json.Deserialize(await File.ReadAllTextAsync(Path.Combine(target, "report.json")));
        back.Trials.Should().HaveCount(4);
        back.Trials.Single(t => t is { Policy: "dynamic", Trial: 1 }).Migrations.Should().Be(2);
        back.Ratios.Should().ContainSingle().Which.Ratio.Should().BeApproximately(102.0 / 85, 1e-9);
    }

    [Fact]
    public async Task Summary_has_a_row_per_policy_and_the_ratio()
    {
        using var dir = new TempDir();
        await CompareReportWriter.WriteAsync(dir.Path, Report(TwoEach), new Dictionary<string, string>());

        var md = await File.ReadAllTextAsync(Path.Combine(dir.Path, "summary.md"));

        md.Should().Contain("| hash | 2/2 | 85.0 |");
        md.Should().Contain("| dynamic | 2/2 | 102.0 |");
        md.Should().Contain("**dynamic/hash** mean throughput ratio: 1.200");
        md.Should().Contain("| 1 | hash | 1 | 80.0 | 3 | 50 / 0 / 25 / 25 |");
    }

    [Fact]
    public async Task A_failed_trial_is_a_junit_error_and_its_consoles_are_kept()
    {
        using var dir = new TempDir();
        var trials = TwoEach.Append(Failed("hash", 3)).ToList();

        await CompareReportWriter.WriteAsync(dir.Path, Report(trials), new Dictionary<string, string> { ["hash-3-l1.log"] = "boot log" });

        var junit = XDocument.Load(Path.Combine(dir.Path, "junit.xml"));
        junit.Root!.Attribute("errors")!.Value.Should().Be("1");
        junit.Descendants("testcase").Single(c => c.Element("error") is not null).Attribute("name")!.Value.Should().Be("trial-3");
        File.ReadAllText(Path.Combine(dir.Path, "consoles", "hash-3-l1.log")).Should().Be("boot log");
        CompareReport.Json.Deserialize(File.ReadAllText(Path.Combine(dir.Path, "report.json"))).Verdict.Should().Be(LabVerdicts.Incomplete);
    }

    [Fact]
    public async Task A_single_trial_on_a_single_queue_still_draws_every_figure()
    {
        using var dir = new TempDir();
        var trials = new[] { Measured("dynamic", 1, 50, queuesUsed: 1, shares: [1.0]) };
        var summaries = new[] { CompareStatistics.Summarise("dynamic", trials, 1) };
        var report = new CompareReport(LabVerdicts.Complete, ["dynamic"], "TCP_STREAM", 1, 3, 1, 1, summaries, [], trials, [], 10, null,
            new Dictionary<string, string>());

        await CompareReportWriter.WriteAsync(dir.Path, report, new Dictionary<string, string>());

        new FileInfo(Path.Combine(dir.Path, CompareCharts.HeatmapFile)).Length.Should().BeGreaterThan(1000);
    }

    [Fact]
    public void A_trial_booted_again_says_why_each_earlier_boot_failed_in_the_summary_and_report_json()
    {
        var retried = Measured("dynamic", 3, 100) with
        {
            Attempts = 3,
            FailedAttempts = [new FailedAttempt(1, "[boot-l2] session timed out", []), new FailedAttempt(2, "L2 QEMU exited", [])],
        };
        var report = Report([.. TwoEach, retried]);

        CompareSummaryMarkdown.Render(report).Should().Contain("measured on boot 3; boot 1 failed: [boot-l2] session timed out; boot 2 failed: L2 QEMU exited");
        CompareReport.Json.Deserialize(CompareReport.Json.Serialize(report)).Trials[^1].FailedAttempts.Select(a => (a.Attempt, a.Error))
            .Should().Equal((1, "[boot-l2] session timed out"), (2, "L2 QEMU exited"));
    }

    [Fact]
    public void The_tunables_are_in_the_summary_and_report_json()
    {
        var report = Report(TwoEach) with { Tunables = new Tunables(32, 100) };

        CompareSummaryMarkdown.Render(report).Should().Contain("Tunables: balance_threshold 32 packets per period, balance_period_ms 100");
        CompareReport.Json.Deserialize(CompareReport.Json.Serialize(report)).Tunables.Should().Be(new Tunables(32, 100));
    }
}
