using System.Xml.Linq;
using KmodBalance.Harness.Reporting;

namespace KmodBalance.Harness.Matrix;

/// <summary>junit.xml: one testcase per cell (classname kmb-matrix.KERNEL, name POLICY), failed or
/// errored with what the cell showed.</summary>
public static class MatrixJunit
{
    public const string SuiteName = "kmb-matrix";

    public static string Render(MatrixReport report)
    {
        var suite = new XElement("testsuite",
            new XAttribute("name", SuiteName),
            new XAttribute("tests", report.Cells.Count),
            new XAttribute("failures", report.Cells.Count(c => c.Verdict == StageVerdict.Fail)),
            new XAttribute("errors", report.Cells.Count(c => c.Verdict == StageVerdict.Error)),
            new XAttribute("time", JunitXml.Seconds(report.WallSeconds)),
            new XAttribute("timestamp", report.StartedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss", System.Globalization.CultureInfo.InvariantCulture)),
            new XElement("properties",
                new XElement("property", new XAttribute("name", "run_id"), new XAttribute("value", report.RunId)),
                new XElement("property", new XAttribute("name", "tool_version"), new XAttribute("value", report.ToolVersion))));
        foreach (var c in report.Cells)
        {
            var tc = new XElement("testcase",
                new XAttribute("classname", $"{SuiteName}.{c.Kernel}"),
                new XAttribute("name", c.Policy),
                new XAttribute("time", JunitXml.Seconds(c.Times.Total)));
            if (!c.Passed)
                tc.Add(new XElement(c.Verdict == StageVerdict.Fail ? "failure" : "error",
                    new XAttribute("message", JunitXml.Safe(Describe(c))),
                    JunitXml.Safe(string.Join('\n', c.WarningLines.Concat(c.CheckProblems).Prepend(c.Error ?? "")).Trim())));
            tc.Add(new XElement("system-out", JunitXml.Safe(Describe(c))));
            suite.Add(tc);
        }
        return JunitXml.Render(suite);
    }

    /// <summary>Pure: the cell in one line.</summary>
    public static string Describe(MatrixCell c) =>
        $"Linux {c.Kernel} ({c.Release ?? "not fetched"}) {c.Policy}: build {c.Build}, W=1 warnings {c.Warnings?.ToString() ?? "-"}, " +
        $"checkpatch {c.CheckpatchTotals?.ToString() ?? c.Checkpatch}, check {c.CheckVerdict}" +
        (c.CheckProperties is { } n ? $" ({n - c.CheckFailed} of {n} properties)" : "") +
        $", run {c.RunVerdict}, vermagic {c.Vermagic ?? "-"}, taint {c.Taint ?? "-"}" + (c.Error is { } e ? $"; {e.ReplaceLineEndings(" ")}" : "");
}
