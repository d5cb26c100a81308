using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Capacity;

/// <summary>Writes a capacity run's directory all or nothing (<see cref="ReportDirectory"/>): report.json,
/// summary.md, junit.xml, the figures, raw/ with every trial's tool output and consoles/l1.log.</summary>
public static class CapacityReportWriter
{
    /// <summary>Named here for <see cref="CapacityRun"/>, which files each trial's output under it.</summary>
    public const string RawDir = ReportDirectory.RawDir;

    /// <summary>Named here for <see cref="CapacityRun"/>, which files L1's console under it.</summary>
    public const string ConsolesDir = ReportDirectory.ConsolesDir;

    private static readonly ReportDirectory Output =
        new(RawDir, ConsolesDir, TrialCharts.PerTrialFile, TrialCharts.MeanFile, CapacityCharts.ReorderFile);

    /// <param name="files">Relative path under raw/ or consoles/ to its text.</param>
    public static Task WriteAsync(string dir, CapacityReport report, IReadOnlyDictionary<string, string> files) =>
        Output.WriteAsync(dir, CapacityReport.Json.Serialize(report), CapacityJunit.Render(report), CapacitySummaryMarkdown.Render(report),
            [.. CapacityCharts.Files(report), .. files.Select(f => ReportFile.Text(f.Key, f.Value))]);
}
