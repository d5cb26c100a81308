using System.Globalization;
using System.Xml.Linq;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Matrix;

/// <summary>junit.xml: one testcase per cell (classname kmb-matrix.KERNEL, name POLICY), failed or
/// errored with what the cell showed.</summary>
public static class MatrixJunit
{
    private const string SuiteName = "kmb-matrix";

    public static string Render(MatrixReport report) => JunitXml.Render(new XElement("testsuite",
        JunitXml.Tally(SuiteName, report.Cells.Count,
            report.Cells.Count(c => c.Verdict == StageVerdict.Fail), report.Cells.Count(c => c.Verdict == StageVerdict.Error)),
        JunitXml.Time(report.WallSeconds),
        new XAttribute("timestamp", report.StartedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", CultureInfo.InvariantCulture)),
        new XElement("properties", JunitXml.Property("run_id", report.RunId), JunitXml.Property("tool_version", report.ToolVersion)),
        report.Cells.Select(c => JunitXml.TestCase($"{SuiteName}.{c.Kernel}", c.Policy, c.Times.Total,
            c.Passed ? null : JunitXml.Problem(c.Verdict == StageVerdict.Fail ? "failure" : "error", Describe(c), null,
                string.Join('\n', c.WarningLines.Concat(c.CheckProblems).Prepend(c.Error ?? "")).Trim()),
            JunitXml.SystemOut(Describe(c))))));

    /// <summary>Pure: the cell in one line.</summary>
    public static string Describe(MatrixCell c) =>
        $"Linux {c.Kernel} ({c.Release ?? "not fetched"}) {c.Policy}: build {c.Build}, W=1 warnings {c.Warnings?.ToString() ?? "-"}, " +
        $"checkpatch {c.CheckpatchTotals?.ToString() ?? c.Checkpatch}, check {c.CheckVerdict}" +
        (c.CheckProperties is { } n ? $" ({n - c.CheckFailed} of {n} properties)" : "") +
        $", run {c.RunVerdict}, vermagic {c.Vermagic ?? "-"}, taint {c.Taint ?? "-"}" + (c.Error is { } e ? $"; {e.ReplaceLineEndings(" ")}" : "");
}
