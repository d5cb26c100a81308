using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Check;

/// <summary>Writes a check's directory all or nothing (<see cref="ReportDirectory"/>): report.json,
/// junit.xml, summary.md, raw/SCENARIO.txt and consoles/.</summary>
public static class CheckReportWriter
{
    private static readonly ReportDirectory Output = new(ReportDirectory.RawDir, ReportDirectory.ConsolesDir);

    /// <summary>The top-level names a check report holds: a directory holding only these may be replaced.</summary>
    public static IReadOnlySet<string> OwnNames => Output.OwnNames;

    /// <param name="files">Relative path (raw/x.txt, consoles/l1.log) -> text.</param>
    public static void Write(string dir, CheckReport report, IReadOnlyDictionary<string, string> files) =>
        Output.WriteAsync(dir, CheckReport.Json.Serialize(report), CheckJunit.Render(report), CheckSummaryMarkdown.Render(report),
            files.Select(f => ReportFile.Text(f.Key, f.Value))).GetAwaiter().GetResult();
}
