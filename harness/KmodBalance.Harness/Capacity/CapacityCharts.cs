using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Capacity;

/// <summary>The figures of a capacity run (<see cref="TrialCharts"/>): delivered throughput per trial
/// and its mean per policy, and reordered datagrams per trial.</summary>
public static class CapacityCharts
{
    public const string ReorderFile = "reordered-per-trial.png";

    public static IReadOnlyList<ReportFile> Files(CapacityReport report)
    {
        var measured = report.Trials.Where(t => t.Measured).ToList();
        return
        [
            ReportFile.Saved(TrialCharts.PerTrialFile, path => TrialCharts.SavePerTrial(path, report.Policies, report.TrialsPerPolicy,
                measured.Select(t => (t.Policy, t.Trial, t.ThroughputMbps)).ToList(),
                Math.Max(report.OfferedMbps, report.Trials.Select(t => t.ThroughputMbps).DefaultIfEmpty(0).Max()),
                $"Delivered throughput per trial ({report.Flows} flows x {report.FlowPps}/s, {report.Queues} queues x {report.ServicePps}/s)",
                XLabel, "delivered throughput (Mbit/s)")),
            ReportFile.Saved(TrialCharts.MeanFile, path => TrialCharts.SaveMeans(path,
                report.Summaries.Select(s => (s.Policy, s.ThroughputMbps.Mean, s.ThroughputMbps.MeanCi95.High)).ToList(), "0.00", report.OfferedMbps,
                $"Mean delivered throughput, error bars 95% CI ({report.TrialsPerPolicy} trials per policy)", "mean delivered throughput (Mbit/s)")),
            ReportFile.Saved(ReorderFile, path => TrialCharts.SavePerTrial(path, report.Policies, report.TrialsPerPolicy,
                measured.Select(t => (t.Policy, t.Trial, (double)t.Reordered)).ToList(),
                report.Trials.Select(t => (double)t.Reordered).DefaultIfEmpty(0).Max(),
                "Datagrams delivered after a later one of their flow, per trial", XLabel, "reordered datagrams")),
        ];
    }

    private const string XLabel = "trial (fresh source ports each)";
}
