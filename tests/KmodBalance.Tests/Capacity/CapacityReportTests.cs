using System.Text.Json;
using System.Xml.Linq;
using FluentAssertions;
using KmodBalance.Harness.Capacity;
using KmodBalance.Harness.Compare;
using KmodBalance.Harness.Reporting;
using KmodBalance.Tests.Support;

namespace KmodBalance.Tests.Capacity;

public class CapacityReportTests
{
    private static CapacityTrial Trial(string policy, int trial, double mbps, long reordered = 0, string? error = null) =>
        new(policy, trial, trial, [41001], 6400, (long)(mbps / 25.6 * 6400), mbps, Math.Round(mbps / 25.6, 4), 0, 0, reordered, 0, 0,
            [0.25, 0.25, 0.25, 0.25], 1, "on (policy " + policy + ")", 3, error);

    private static IReadOnlyList<CapacityTrial> Trials() =>
    [
        Trial("hash", 1, 20.8), Trial("dynamic", 1, 25.6, 1), Trial("hash", 2, 25.6), Trial("dynamic", 2, 25.5),
        Trial("hash", 3, 20.7), Trial("dynamic", 3, 25.6, 2), Trial("hash", 4, 0, error: "boom"),
    ];

    [Fact]
    public void Summaries_count_dips_and_reordering_over_the_measured_trials()
    {
        var (summaries, ratios) = CapacityReport.Summarise(["hash", "dynamic"], Trials());

        var hash = summaries.Single(s => s.Policy == "hash");
        (hash.Trials, hash.Measured, hash.Dips).Should().Be((4, 3, 2));
        hash.ThroughputMbps.Mean.Should().BeApproximately((20.8 + 25.6 + 20.7) / 3, 1e-9);
        hash.ThroughputMbps.Min.Should().Be(20.7);
        hash.CoefficientOfVariation.Should().BeApproximately(hash.ThroughputMbps.StdDev / hash.ThroughputMbps.Mean, 1e-12);
        var dynamic = summaries.Single(s => s.Policy == "dynamic");
        (dynamic.Dips, dynamic.TotalReordered).Should().Be((0, 3L));
        dynamic.CoefficientOfVariation.Should().BeLessThan(0.01);
        ratios.Should().ContainSingle().Which.Should().Match<PolicyRatio>(r => r.Numerator == "dynamic" && r.Denominator == "hash");
        ratios[0].Ratio.Should().BeApproximately(dynamic.ThroughputMbps.Mean / hash.ThroughputMbps.Mean, 1e-12);
        ratios[0].Ci95.Low.Should().BeLessThan(ratios[0].Ratio);
    }

    [Fact]
    public void Describe_gives_the_sample_moments_and_a_t_interval()
    {
        var s = CompareStatistics.Describe([1.0, 2.0, 3.0]);

        (s.Count, s.Mean, s.StdDev, s.Min, s.Max).Should().Be((3, 2.0, 1.0, 1.0, 3.0));
        s.MeanCi95.Low!.Value.Should().BeApproximately(2 - 4.302653 / Math.Sqrt(3), 1e-5);
        CompareStatistics.Describe([5.0]).MeanCi95.Should().Be(new Interval(null, null));
        CompareStatistics.Describe([]).Count.Should().Be(0);
    }

    [Fact]
    public async Task The_report_directory_holds_json_junit_summary_figures_and_raw_output()
    {
        using var dir = new TempDir();
        var (summaries, ratios) = CapacityReport.Summarise(["hash", "dynamic"], Trials());
        var report = new CapacityReport(LabVerdicts.Incomplete, ["hash", "dynamic"], 4, 2, 4, 4, 800, 1000, 1000, 25.6, 1,
            summaries, ratios, Trials(), [], 90, null, new Dictionary<string, string> { ["kernel"] = "6.1" });
        var target = dir.Combine("cap");

        await CapacityReportWriter.WriteAsync(target, report, new Dictionary<string, string> { ["raw/001-hash-1.txt"] = "x" });

        var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(target, "report.json"))).RootElement;
        var first = json.GetProperty("trials")[0];
        foreach (var key in new[] { "policy", "throughputMbps", "deliveredFraction", "drops", "reordered", "migrations", "queueShares", "jain" })
            first.TryGetProperty(key, out _).Should().BeTrue(key);
        CapacityReport.Json.Deserialize(await File.ReadAllTextAsync(Path.Combine(target, "report.json"))).Should().BeEquivalentTo(report);
        XDocument.Load(Path.Combine(target, "junit.xml")).Descendants("testcase").Should().HaveCount(7);
        XDocument.Load(Path.Combine(target, "junit.xml")).Descendants("error").Should().ContainSingle();
        var md = await File.ReadAllTextAsync(Path.Combine(target, "summary.md"));
        md.Should().Contain("**dynamic/hash**").And.Contain("| hash | 3/4 |");
        foreach (var png in new[] { TrialCharts.PerTrialFile, TrialCharts.MeanFile, CapacityCharts.ReorderFile })
            new FileInfo(Path.Combine(target, png)).Length.Should().BeGreaterThan(1000);
        File.ReadAllText(Path.Combine(target, "raw", "001-hash-1.txt")).Should().Be("x");
        report.ExitCode.Should().Be(1);
    }

    [Fact]
    public void The_tunables_are_in_the_summary_and_report_json()
    {
        var (summaries, ratios) = CapacityReport.Summarise(["hash", "dynamic"], Trials());
        var report = new CapacityReport(LabVerdicts.Complete, ["hash", "dynamic"], 4, 2, 4, 4, 800, 1000, 1000, 25.6, 1,
            summaries, ratios, Trials(), [], 90, null, new Dictionary<string, string>()) { Tunables = new Tunables(32, 100) };

        CapacitySummaryMarkdown.Render(report).Should().Contain("Tunables: balance_threshold 32 packets per period, balance_period_ms 100");
        CapacityReport.Json.Deserialize(CapacityReport.Json.Serialize(report)).Tunables.Should().Be(new Tunables(32, 100));
    }
}
