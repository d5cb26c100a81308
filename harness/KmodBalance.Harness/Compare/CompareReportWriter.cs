using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Compare;

/// <summary>Writes a compare's directory all or nothing (<see cref="ReportDirectory"/>): report.json,
/// summary.md, junit.xml, the three figures, and consoles/ with the logs of trials that failed.</summary>
public static class CompareReportWriter
{
    private static readonly ReportDirectory Output =
        new(ReportDirectory.ConsolesDir, TrialCharts.PerTrialFile, TrialCharts.MeanFile, CompareCharts.HeatmapFile);

    /// <summary>What a compare report holds: a previous report may be replaced, nothing else.</summary>
    public static IReadOnlySet<string> OwnNames => Output.OwnNames;

    /// <param name="failedTrialConsoles">File name (for example "hash-2-boot1-l1.log") to the console of a boot that failed.</param>
    public static Task WriteAsync(string dir, CompareReport report, IReadOnlyDictionary<string, string> failedTrialConsoles) =>
        Output.WriteAsync(dir, CompareReport.Json.Serialize(report), CompareJunit.Render(report), CompareSummaryMarkdown.Render(report),
        [
            .. CompareCharts.Files(report),
            .. failedTrialConsoles.Select(c => ReportFile.Text($"{ReportDirectory.ConsolesDir}/{Path.GetFileName(c.Key)}", c.Value)),
        ]);
}
